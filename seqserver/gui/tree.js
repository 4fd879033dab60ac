// The tree of loaded scripts (manual 4.2, "The Tree Window"): one row per node,
// containers expand and collapse, running nodes are highlighted and scrolled
// into view, Debug Mode shows the serial number and state columns. The rows are
// built from a snapshot and then kept current by state events.
import { stateText, stateDisplayForm, mainState, typeIcon } from "./format.js";

const CONTAINERS = new Set(["S", "P", "L", "T", "O"]);

/** A container's children without its begin and end nodes (internal to the engine). */
function visibleChildren(node) {
  const children = node.children || [];
  return children.filter(
    (child, i) =>
      !(child.type === "A" && ((i === 0 && child.name === "begin") ||
        (i === children.length - 1 && child.name === "end"))),
  );
}

/** The small mark a node carries while its runtime flag is set. */
function badge(flag) {
  const mark = document.createElement("span");
  mark.className = `badge badge-${flag}`;
  mark.textContent = flag;
  return mark;
}

export class TreeView extends EventTarget {
  constructor(table) {
    super();
    this.table = table;
    this.body = table.tBodies[0];
    this.nodes = new Map(); // sn -> {node, row, parent, depth, expanded}
    this.selectedSn = null;
    this.body.addEventListener("click", (e) => this.onClick(e));
    this.body.addEventListener("contextmenu", (e) => this.onContextMenu(e));
    this.body.tabIndex = 0;
    this.body.addEventListener("keydown", (e) => this.onKey(e));
  }

  /** Rebuild every row from a snapshot's scripts, keeping what was collapsed. */
  render(scripts) {
    const collapsed = new Set(
      [...this.nodes.values()].filter((entry) => !entry.expanded).map((entry) => entry.node.id),
    );
    this.nodes.clear();
    this.body.replaceChildren();
    const add = (node, parent, depth) => {
      const entry = { node, parent, depth, expanded: !collapsed.has(node.id), row: null };
      entry.row = this.buildRow(entry);
      this.nodes.set(node.sn, entry);
      this.body.append(entry.row);
      for (const child of visibleChildren(node)) add(child, node.sn, depth + 1);
    };
    for (const script of scripts || []) add(script, null, 0);
    if (!this.nodes.has(this.selectedSn)) this.selectedSn = null;
    this.refreshVisibility();
    this.markSelected();
  }

  buildRow(entry) {
    const { node, depth } = entry;
    const row = document.createElement("tr");
    row.dataset.sn = node.sn;
    row.dataset.type = node.type;
    const name = document.createElement("td");
    name.className = "name";
    name.style.paddingLeft = `${0.3 + depth * 1.2}em`;
    const toggle = document.createElement("button");
    toggle.className = "toggle";
    toggle.tabIndex = -1;
    if (CONTAINERS.has(node.type) && visibleChildren(node).length) {
      toggle.setAttribute("aria-label", "expand or collapse");
    } else {
      toggle.classList.add("leaf");
    }
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = node.name;
    const cell = document.createElement("span");
    cell.className = "cell";
    cell.append(toggle, typeIcon(node.type), label, badge("pause"), badge("skip"));
    name.append(cell);
    const sn = document.createElement("td");
    sn.className = "sn debug-only";
    sn.textContent = node.sn;
    const state = document.createElement("td");
    state.className = "state debug-only";
    const description = document.createElement("td");
    description.className = "description";
    description.textContent = node.description || "";
    row.append(name, sn, state, description);
    this.paint(entry, row);
    return row;
  }

  paint(entry, row = entry.row) {
    const { node } = entry;
    const stateCell = row.querySelector(".state");
    stateCell.textContent = stateText(node.state, node.flags);
    stateCell.title = stateDisplayForm(node.state, node.flags);
    row.dataset.state = mainState(node.state);
    row.classList.toggle("error", (node.state || "").includes("ERROR"));
    row.classList.toggle("skipped", (node.state || "").includes("SKIP"));
    row.classList.toggle("flag-pause", (node.flags || []).includes("PAUSE"));
    row.classList.toggle("flag-skip", (node.flags || []).includes("SKIP"));
    row.classList.toggle("running", mainState(node.state) === "RUNNING");
    row.classList.toggle("paused", mainState(node.state) === "PAUSED");
    row.querySelector(".toggle").textContent = row.querySelector(".toggle.leaf") ? "" : entry.expanded ? "▾" : "▸";
  }

  /** Apply one `state` event; running nodes come into view. */
  updateState(event) {
    const entry = this.nodes.get(event.sn);
    if (!entry) return;
    entry.node.state = event.state;
    entry.node.flags = event.flags || [];
    this.paint(entry);
    if (mainState(event.state) === "RUNNING") {
      this.reveal(event.sn);
      entry.row.scrollIntoView({ block: "nearest" });
    }
  }

  /** Expand the containers above a node so that its row shows. */
  reveal(sn) {
    let changed = false;
    for (let parent = this.nodes.get(sn)?.parent; parent != null; parent = this.nodes.get(parent)?.parent) {
      const entry = this.nodes.get(parent);
      if (!entry.expanded) {
        entry.expanded = true;
        this.paint(entry);
        changed = true;
      }
    }
    if (changed) this.refreshVisibility();
  }

  refreshVisibility() {
    for (const entry of this.nodes.values()) {
      let hidden = false;
      for (let parent = entry.parent; parent != null; parent = this.nodes.get(parent).parent) {
        if (!this.nodes.get(parent).expanded) {
          hidden = true;
          break;
        }
      }
      entry.row.hidden = hidden;
    }
  }

  setExpanded(sn, expanded) {
    const entry = this.nodes.get(sn);
    entry.expanded = expanded;
    this.paint(entry);
    this.refreshVisibility();
  }

  rowEntry(target) {
    const row = target.closest("tr[data-sn]");
    return row ? this.nodes.get(Number(row.dataset.sn)) : null;
  }

  onClick(e) {
    const entry = this.rowEntry(e.target);
    if (!entry) return;
    if (e.target.closest(".toggle") && !e.target.closest(".leaf")) {
      this.setExpanded(entry.node.sn, !entry.expanded);
    }
    this.select(entry.node.sn);
  }

  onContextMenu(e) {
    const entry = this.rowEntry(e.target);
    if (!entry) return;
    e.preventDefault();
    this.select(entry.node.sn);
    this.dispatchEvent(new CustomEvent("node-menu", { detail: { node: entry.node, x: e.clientX, y: e.clientY } }));
  }

  /** Up/Down move the selection; Right expands, Left collapses (or goes to the container). */
  onKey(e) {
    const visible = [...this.nodes.values()].filter((entry) => !entry.row.hidden);
    const at = visible.findIndex((entry) => entry.node.sn === this.selectedSn);
    const current = visible[at];
    const moves = {
      ArrowDown: () => visible[Math.min(at + 1, visible.length - 1)],
      ArrowUp: () => visible[Math.max(at - 1, 0)],
      ArrowRight: () => (current && !current.expanded ? this.setExpanded(current.node.sn, true) : null),
      ArrowLeft: () =>
        current && current.expanded && current.row.querySelector(".toggle:not(.leaf)")
          ? this.setExpanded(current.node.sn, false)
          : this.nodes.get(current?.parent),
    };
    if (!moves[e.key]) return;
    e.preventDefault();
    const target = moves[e.key]();
    if (target?.node) {
      this.select(target.node.sn);
      target.row.scrollIntoView({ block: "nearest" });
    }
  }

  select(sn) {
    this.selectedSn = sn;
    this.markSelected();
    this.dispatchEvent(new CustomEvent("selection", { detail: { node: this.selected() } }));
  }

  markSelected() {
    for (const entry of this.nodes.values()) {
      entry.row.classList.toggle("selected", entry.node.sn === this.selectedSn);
    }
  }

  selected() {
    return this.nodes.get(this.selectedSn)?.node ?? null;
  }

  /** Nodes currently waiting on their PAUSE flag. */
  pausedNodes() {
    return [...this.nodes.values()].map((e) => e.node).filter((n) => mainState(n.state) === "PAUSED");
  }
}
