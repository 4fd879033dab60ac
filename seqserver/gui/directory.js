// The Directory tab: every sequence component and sequencer of the location service
// this server uses, live, each a link to the page of its own server. The tab asks
// `locate --watch` when it is first shown, and again after each reconnection (the
// server forgets a watch with its connection); the server then sends `directory`
// events: the whole listing, then each registration, change and removal, and when the
// location service becomes unreachable and reachable again. A server that cannot use
// the location service says why, and the tab asks again a little later.

const RETRY_MS = 5000;

/** The observing mode (and variation) of a sequencer's name, IRIS@IRIS_ImagerAndIFS.IMAGER: "IRIS_ImagerAndIFS (IMAGER)". */
export function observingMode(sequencer) {
  const [, mode = ""] = (sequencer || "").split("@");
  const [obsmode, variation] = mode.split(".");
  return variation ? `${obsmode} (${variation})` : obsmode;
}

/** The address of an entry's own page, http(s)://host:port/ (an IPv6 address in brackets); null if it has none. */
export function pageUrl(entry) {
  const host = entry.host.includes(":") ? `[${entry.host}]` : entry.host;
  const address = `${entry.tls ? "https" : "http"}://${host}:${Number(entry.port)}/`;
  return URL.canParse(address) ? new URL(address).href : null;
}

export class DirectoryView {
  constructor(link, { tab, note, table }) {
    this.link = link;
    this.note = note;
    this.body = table.tBodies[0];
    this.entries = new Map(); // name -> entry, as the location service has it
    this.registry = null; // where the directory is, as the server names it
    this.problem = null; // why the directory is not live (the location service cannot be used)
    this.wanted = false; // the tab was shown: keep the directory live from now on
    this.retry = null;
    tab.addEventListener("click", () => this.want());
    link.addEventListener("welcome", () => this.watch());
    link.addEventListener("batch", ({ detail: batch }) => this.take(batch.events));
  }

  want() {
    if (this.wanted) return;
    this.wanted = true;
    this.watch();
  }

  /** Ask the server for the directory and its changes (the listing comes as an event, before the reply). */
  async watch() {
    clearTimeout(this.retry);
    if (!this.wanted || !this.link.connected) return;
    const reply = await this.link.command("locate --watch").catch((error) => ({ ok: false, error: error.message }));
    if (reply.ok) return;
    this.problem = reply.error;
    this.render();
    if (this.link.connected) this.retry = setTimeout(() => this.watch(), RETRY_MS);
  }

  take(events) {
    const changes = events.filter((event) => event.kind === "directory");
    for (const event of changes) this.apply(event);
    if (changes.length) this.render();
  }

  apply(event) {
    this.registry = event.registry;
    switch (event.change) {
      case "listed":
        this.entries = new Map(event.entries.map((entry) => [entry.name, entry]));
        this.problem = null;
        break;
      case "registered":
      case "changed":
        this.entries.set(event.entry.name, event.entry);
        break;
      case "removed":
        this.entries.delete(event.entry.name);
        break;
      case "unreachable":
        this.problem = `the location service is unreachable: ${event.why} (what is shown may be out of date)`;
        break;
      case "reachable":
        this.problem = null;
        break;
    }
  }

  render() {
    const count = this.entries.size;
    const where = this.registry ? ` in ${this.registry}` : "";
    this.note.textContent = this.problem ?? (count ? `${count} registered${where}` : `no component or sequencer${where}`);
    this.note.classList.toggle("failed", this.problem !== null);
    this.body.replaceChildren(...this.ordered().map((entry) => this.row(entry)));
  }

  /** Each component by name, followed by the sequencer it runs; then sequencers whose component is not listed. */
  ordered() {
    const byName = [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const order = [];
    for (const entry of byName.filter((e) => e.kind !== "sequencer")) {
      order.push(entry);
      const sequencer = this.entries.get(entry.sequencer);
      if (sequencer && sequencer.component === entry.name) order.push(sequencer);
    }
    const placed = new Set(order);
    return order.concat(byName.filter((entry) => !placed.has(entry)));
  }

  row(entry) {
    const row = document.createElement("tr");
    row.dataset.name = entry.name;
    row.className = `${entry.kind} ${entry.state}`;
    const sequencer = entry.kind === "sequencer" ? entry.name : entry.sequencer;
    const relation = entry.kind === "sequencer" ? `on ${entry.component}` : entry.sequencer ? `runs ${entry.sequencer}` : "";
    const address = `${entry.host}:${entry.port}`;
    if (address === location.host) row.classList.add("here");
    const url = pageUrl(entry);
    const link = document.createElement(url ? "a" : "span");
    link.textContent = entry.name;
    if (url) {
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.title = `Open the page of ${entry.name} (it asks for that server's access token, unless this browser signed in there before)`;
    }
    const cells = [link, entry.kind, entry.state, observingMode(sequencer), relation, address,
      entry.tls ? "yes" : "no", entry.simulation ? "yes" : "no"];
    const classes = ["name", "kind", "state", "obsmode", "relation", "address", "tls", "simulation"];
    cells.forEach((content, k) => {
      const cell = document.createElement("td");
      cell.className = classes[k];
      cell.append(content);
      row.append(cell);
    });
    row.title = `pid ${entry.pid}, started ${entry.started}, seq ${entry.version}`;
    return row;
  }
}
