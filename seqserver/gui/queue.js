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
import { flagNames } from "./rows.js";
import { setAttribute, setText } from "./virtual.js";

const PANEL = `
  <div class="queue-bar">
    <button type="button" class="hold" title="Hold the run before the next item of the queue (the item in progress goes on)">Hold before next item</button>
    <button type="button" class="history" title="What the queue ran, with times and outcomes">History</button>
    <span class="held-note" hidden>Held: the run stops before the next item</span>
    <span class="refusal" role="alert"></span>
  </div>
  <div class="scroll queue-scroll">
    <table class="queue">
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
    this.entries = []; // the rows shown: {row, sn, container, siblings, tr}
    this.held = false;
    this.stale = false; // the tree changed since the list was last built (while the tab was hidden)
    this.dragged = null; // the entry being dragged
    this.holdButton.addEventListener("click", () => this.edit(this.held ? "resume" : "pause"));
    panel.querySelector(".history").addEventListener("click", () => this.showHistory());
    this.body.addEventListener("click", (e) => this.onClick(e));
    this.body.addEventListener("dragstart", (e) => this.onDragStart(e));
    this.body.addEventListener("dragover", (e) => this.onDragOver(e));
    this.body.addEventListener("dragleave", (e) => this.entryOf(e.target)?.tr.classList.remove("drop-before", "drop-after"));
    this.body.addEventListener("drop", (e) => this.onDrop(e));
    this.body.addEventListener("dragend", () => this.endDrag());
  }

  /** After a batch: the whole list anew when the tree changed, else only the states (when the tab shows). */
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

  /**
   * Bring the list up to date, if the tab shows (else when it is shown): with 1000 OBs, building
   * the list anew takes some 40 ms, and a page that shows another tab has no need of it.
   */
  refresh() {
    if (this.panel.hidden) return;
    if (this.stale) this.rebuild();
    else this.paintStates();
  }

  // --- the list -------------------------------------------------------------------

  /** The queue's items (the rows at the top of the tree) and, below each expanded OB, its templates. */
  items() {
    const { rows, count } = this.outline;
    const items = [];
    for (let row = 0; row < count; row++) {
      if (rows.depth[row] === 0) items.push({ row, sn: rows.sn[row], container: null, templates: [] });
      else if (rows.depth[row] === 1 && rows.type[row] === "T" && rows.type[rows.parent[row]] === "O") {
        items[items.length - 1].templates.push({ row, sn: rows.sn[row], container: items[items.length - 1].sn });
      }
    }
    return items;
  }

  rebuild() {
    this.stale = false;
    const items = this.items();
    this.entries = [];
    const trs = [];
    items.forEach((item, index) => {
      trs.push(this.entryRow(item, items, index, 0));
      if (this.expanded.has(item.sn)) {
        item.templates.forEach((template, step) => trs.push(this.entryRow(template, item.templates, step, 1)));
      }
    });
    this.body.replaceChildren(...trs);
    this.paintStates();
  }

  entryRow(entry, siblings, index, depth) {
    const { rows } = this.outline;
    const tr = document.createElement("tr");
    tr.dataset.sn = entry.sn;
    tr.draggable = !this.readOnly;
    tr.className = depth ? "template" : "item";
    const position = tr.insertCell();
    position.className = "position";
    position.textContent = depth ? `${index + 1}` : `${index + 1}.`;
    const name = tr.insertCell();
    name.className = "name";
    if (rows.type[entry.row] === "O" && entry.templates.length) {
      const toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "toggle";
      toggle.dataset.action = "toggle";
      toggle.textContent = this.expanded.has(entry.sn) ? "▾" : "▸";
      toggle.title = this.expanded.has(entry.sn) ? "Hide its templates" : "Show its templates";
      name.append(toggle);
    }
    const label = document.createElement("span");
    label.className = "label";
    // A template reads as its module (its node is just "Template").
    label.textContent = depth ? rows.description[entry.row] || rows.name[entry.row] : rows.name[entry.row];
    const sn = document.createElement("span");
    sn.className = "sn";
    sn.textContent = `(${entry.sn})`;
    name.append(sn, label);
    tr.insertCell().className = "state";
    const actions = tr.insertCell();
    actions.className = "actions";
    for (const [action, text, title] of ACTIONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = action;
      button.textContent = text;
      button.title = title;
      button.disabled = this.readOnly || (action === "up" && index === 0) ||
        (action === "down" && index === siblings.length - 1);
      actions.append(button);
    }
    this.entries.push({ ...entry, siblings, index, tr });
    return tr;
  }

  paintStates() {
    const { rows } = this.outline;
    for (const { row, tr } of this.entries) {
      const state = rows.state[row];
      const cell = tr.cells[2];
      setText(cell, stateText(state, flagNames(rows.flags[row])));
      setAttribute(tr, "data-state", mainState(state));
    }
  }

  entryOf(target) {
    const tr = target.closest?.("tr[data-sn]");
    return tr ? this.entries.find((entry) => entry.tr === tr) : undefined;
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
        this.rebuild();
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
    entry.tr.classList.add("dragged");
  }

  /** Where a drop on `entry` puts the dragged row: before it in its upper half, after it in its lower. */
  dropPlace(e, entry) {
    const box = entry.tr.getBoundingClientRect();
    return e.clientY < box.top + box.height / 2 ? "before" : "after";
  }

  onDragOver(e) {
    const entry = this.entryOf(e.target);
    if (!this.dragged || !entry || entry === this.dragged) return;
    e.preventDefault();
    const place = this.dropPlace(e, entry);
    entry.tr.classList.toggle("drop-before", place === "before");
    entry.tr.classList.toggle("drop-after", place === "after");
  }

  onDrop(e) {
    const entry = this.entryOf(e.target);
    const dragged = this.dragged;
    this.endDrag();
    if (!dragged || !entry || entry === dragged) return;
    e.preventDefault();
    this.edit(`move ${dragged.sn} --${this.dropPlace(e, entry)} ${entry.sn}`);
  }

  endDrag() {
    this.dragged = null;
    for (const tr of this.body.querySelectorAll(".dragged, .drop-before, .drop-after")) {
      tr.classList.remove("dragged", "drop-before", "drop-after");
    }
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
