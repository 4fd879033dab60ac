// The Queue tab: the scripts and OBs loaded, in the order they run (an OB's
// templates below it, shown on demand), and the edits an operator makes to them
// while the sequencer runs: reorder (drag a row onto another, or the ↑ ↓
// buttons), remove, requeue (a fresh copy at the end), and hold the run before
// its next item. Every edit is a command line of the kernel's language (move,
// remove, requeue, pause, resume); the kernel decides, and a refusal (something
// that has started, a template dragged out of its OB) is shown here as it said
// it. What is shown comes from the page's rows (the Outline), so every page sees
// each edit as the server's tree event brings it.
import { mainState, stateText } from "./format.js";
import { repaint } from "./frames.js";
import { flagNames } from "./rows.js";
import { VirtualRows, setAttribute, setClass, setText } from "./virtual.js";

const PANEL = `
  <div class="queue-bar">
    <button type="button" class="hold" title="Hold the run before the next item of the queue (the item in progress goes on)">Hold before next item</button>
    <button type="button" class="history" title="What the queue ran, with times and outcomes">History</button>
    <span class="held-note" hidden>Held: the run stops before the next item</span>
    <span class="refusal" role="alert"></span>
  </div>
  <div class="scroll queue-scroll">
    <table class="queue virtual">
      <thead><tr><th class="position">#</th><th class="name">Script / OB / template</th><th class="state">State</th><th class="actions"></th></tr></thead>
      <tbody></tbody>
    </table>
  </div>`;

const ACTIONS = [
  ["up", "↑", "Move up"],
  ["down", "↓", "Move down"],
  ["requeue", "Requeue", "Queue a fresh copy at the end (of its OB, for a template)"],
  ["remove", "Remove", "Remove it from the queue"],
];

export class QueueView {
  /**
   * `panel`: the tab's element; `outline`: the page's rows; `send(line)`: sends a command and
   * resolves with its reply (or null); `showText(title, text)`: shows a command's text;
   * `readOnly`: a recorded run, which takes no commands.
   */
  constructor({ panel, outline, send, showText, readOnly }) {
    this.panel = panel;
    this.outline = outline;
    this.send = send;
    this.showText = showText;
    this.readOnly = readOnly;
    panel.innerHTML = PANEL;
    this.body = panel.querySelector("tbody");
    this.holdButton = panel.querySelector(".hold");
    this.heldNote = panel.querySelector(".held-note");
    this.refusal = panel.querySelector(".refusal");
    this.expanded = new Set(); // serial numbers of the OBs whose templates show
    this.entries = []; // the list's rows: {row, sn, depth, siblings, index, templates}
    this.held = false;
    this.stale = false; // the tree changed since the list was last made (while the tab was hidden)
    this.dragged = null; // the entry being dragged
    this.dropMark = null; // where a drop would put it: {sn, place}
    // Only the rows in view exist (a queue may hold 1000 OBs): each <tr> shows the entry painted in it last.
    this.rows = new VirtualRows({
      scroller: panel.querySelector(".queue-scroll"),
      table: panel.querySelector("table"),
      createRow: () => this.createRow(),
      paintRow: (tr, position) => this.paintRow(tr, this.entries[position]),
      onScroll: () => repaint(this),
    });
    this.holdButton.addEventListener("click", () => this.edit(this.held ? "resume" : "pause"));
    panel.querySelector(".history").addEventListener("click", () => this.showHistory());
    this.body.addEventListener("click", (e) => this.onClick(e));
    this.body.addEventListener("dragstart", (e) => this.onDragStart(e));
    this.body.addEventListener("dragover", (e) => this.onDragOver(e));
    this.body.addEventListener("dragleave", (e) => this.onDragLeave(e));
    this.body.addEventListener("drop", (e) => this.onDrop(e));
    this.body.addEventListener("dragend", () => this.endDrag());
  }

  /** After a batch: the list anew when the tree changed, drawn at the next frame (when the tab shows). */
  update({ treeChanged, held }) {
    if (held !== this.held) {
      this.held = held;
      setText(this.holdButton, held ? "Release the queue" : "Hold before next item");
      setAttribute(this.holdButton, "aria-pressed", String(held));
      this.heldNote.hidden = !held;
    }
    this.stale ||= treeChanged;
    this.refresh();
  }

  /** Draw the list at the next frame (if the tab shows then: else once it is shown). */
  refresh() {
    repaint(this);
  }

  render() {
    if (this.panel.hidden) return;
    if (this.stale) {
      this.entries = this.listEntries();
      this.stale = false;
    }
    this.rows.setCount(this.entries.length);
    this.rows.render();
  }

  // --- the list -------------------------------------------------------------------

  /** The queue's items (the rows at the top of the tree), each with its templates (an OB's). */
  items() {
    const { rows, count } = this.outline;
    const items = [];
    for (let row = 0; row < count; row++) {
      if (rows.depth[row] === 0) items.push({ row, sn: rows.sn[row], depth: 0, templates: [] });
      else if (rows.depth[row] === 1 && rows.type[row] === "T" && rows.type[rows.parent[row]] === "O") {
        items[items.length - 1].templates.push({ row, sn: rows.sn[row], depth: 1, templates: [] });
      }
    }
    return items;
  }

  /** The rows of the list: each item, and the templates of those expanded, with their places among their siblings. */
  listEntries() {
    const entries = [];
    const items = this.items();
    items.forEach((item, index) => {
      entries.push({ ...item, siblings: items, index });
      if (this.expanded.has(item.sn)) {
        item.templates.forEach((template, step) => entries.push({ ...template, siblings: item.templates, index: step }));
      }
    });
    return entries;
  }

  createRow() {
    const tr = document.createElement("tr");
    tr.draggable = !this.readOnly;
    tr.insertCell().className = "position";
    const name = tr.insertCell();
    name.className = "name";
    tr.toggle = document.createElement("button");
    tr.toggle.type = "button";
    tr.toggle.className = "toggle";
    tr.toggle.dataset.action = "toggle";
    tr.snText = document.createElement("span");
    tr.snText.className = "sn";
    tr.label = document.createElement("span");
    tr.label.className = "label";
    name.append(tr.toggle, tr.snText, tr.label);
    tr.insertCell().className = "state";
    const actions = tr.insertCell();
    actions.className = "actions";
    tr.buttons = ACTIONS.map(([action, text, title]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = action;
      button.textContent = text;
      button.title = title;
      actions.append(button);
      return button;
    });
    return tr;
  }

  paintRow(tr, entry) {
    const { rows } = this.outline;
    const { row, sn, depth, siblings, index } = entry;
    tr.entry = entry;
    setAttribute(tr, "data-sn", sn);
    setClass(tr, "item", !depth);
    setClass(tr, "template", Boolean(depth));
    setText(tr.cells[0], depth ? `${index + 1}` : `${index + 1}.`);
    const expandable = rows.type[row] === "O" && entry.templates.length > 0;
    const expanded = this.expanded.has(sn);
    setAttribute(tr.toggle, "hidden", expandable ? null : "");
    setText(tr.toggle, expanded ? "▾" : "▸");
    setAttribute(tr.toggle, "title", expanded ? "Hide its templates" : "Show its templates");
    setText(tr.snText, `(${sn})`);
    // A template reads as its module (its node is just "Template").
    setText(tr.label, depth ? rows.description[row] || rows.name[row] : rows.name[row]);
    const state = rows.state[row];
    setText(tr.cells[2], stateText(state, flagNames(rows.flags[row])));
    setAttribute(tr, "data-state", mainState(state));
    tr.buttons.forEach((button, k) => {
      const action = ACTIONS[k][0];
      const disabled = this.readOnly || (action === "up" && index === 0) ||
        (action === "down" && index === siblings.length - 1);
      setAttribute(button, "disabled", disabled ? "" : null);
    });
    setClass(tr, "dragged", this.dragged?.sn === sn);
    setClass(tr, "drop-before", this.dropMark?.sn === sn && this.dropMark.place === "before");
    setClass(tr, "drop-after", this.dropMark?.sn === sn && this.dropMark.place === "after");
  }

  entryOf(target) {
    return target.closest?.("tr[data-sn]")?.entry;
  }

  // --- what the operator does ------------------------------------------------------

  onClick(e) {
    const button = e.target.closest("button[data-action]");
    const entry = button && this.entryOf(button);
    if (!entry) return;
    const { sn, siblings, index } = entry;
    switch (button.dataset.action) {
      case "toggle":
        if (!this.expanded.delete(sn)) this.expanded.add(sn);
        this.stale = true;
        this.refresh();
        break;
      case "up":
        this.edit(`move ${sn} --before ${siblings[index - 1].sn}`);
        break;
      case "down":
        this.edit(`move ${sn} --after ${siblings[index + 1].sn}`);
        break;
      case "requeue":
        this.edit(`requeue ${sn}`);
        break;
      case "remove":
        this.edit(`remove ${sn}`);
        break;
    }
  }

  onDragStart(e) {
    const entry = this.entryOf(e.target);
    if (!entry || this.readOnly) return;
    this.dragged = entry;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", String(entry.sn));
    this.refresh();
  }

  /** Where a drop on the row under the pointer puts the dragged row: before it in its upper half, after it in its lower. */
  dropPlace(e) {
    const box = e.target.closest("tr").getBoundingClientRect();
    return e.clientY < box.top + box.height / 2 ? "before" : "after";
  }

  onDragOver(e) {
    const entry = this.entryOf(e.target);
    if (!this.dragged || !entry || entry.sn === this.dragged.sn) return;
    e.preventDefault();
    const place = this.dropPlace(e);
    if (this.dropMark?.sn !== entry.sn || this.dropMark.place !== place) {
      this.dropMark = { sn: entry.sn, place };
      this.refresh();
    }
  }

  onDragLeave(e) {
    if (this.dropMark && this.entryOf(e.target)?.sn === this.dropMark.sn) {
      this.dropMark = null;
      this.refresh();
    }
  }

  onDrop(e) {
    const entry = this.entryOf(e.target);
    const dragged = this.dragged;
    this.endDrag();
    if (!dragged || !entry || entry.sn === dragged.sn) return;
    e.preventDefault();
    this.edit(`move ${dragged.sn} --${this.dropPlace(e)} ${entry.sn}`);
  }

  endDrag() {
    this.dragged = null;
    this.dropMark = null;
    this.refresh();
  }

  /** Send an edit; what the kernel refused is shown until the next edit goes through. */
  async edit(line) {
    const reply = await this.send(line);
    setText(this.refusal, reply && !reply.ok ? `${line}: ${reply.error}` : "");
  }

  async showHistory() {
    const reply = await this.send("history");
    if (reply && reply.ok) this.showText("What the queue ran", reply.output);
  }
}
