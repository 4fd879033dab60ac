// What the tree and the timeline share: a virtual table of the Outline's shown
// rows, each starting with the node's name (indented, with its toggle, type icon
// and runtime flag marks), the selection, the keyboard (arrows move, Right and
// Left expand and collapse, Enter toggles, Home/End/PageUp/PageDown), the
// right-click menu, following the run, and coming back to the same rows after
// the tree was replaced.
import { NODE_TYPES, mainState } from "./format.js";
import { FLAG_BITS } from "./rows.js";
import { VirtualRows, setAttribute, setClass, setText } from "./virtual.js";
import { repaint, repaintLive } from "./frames.js";

function badge(flag) {
  const mark = document.createElement("span");
  mark.className = `badge badge-${flag}`;
  mark.textContent = flag;
  return mark;
}

export class OutlineView extends EventTarget {
  constructor(outline, { scroller, table }) {
    super();
    this.outline = outline;
    this.scroller = scroller;
    this.table = table;
    this.rows = new VirtualRows({
      scroller,
      table,
      createRow: () => this.createRow(),
      paintRow: (tr, position) => this.paint(tr, outline.shown[position], position),
      onScroll: () => this.scrolled(),
    });
    this.anchorKey = null; // the row at the top of the view, as the operator left it
    this.anchorOffset = 0;
    this.reveal = -1; // a row to bring into view at the next frame
    this.restore = false; // come back to the anchor at the next frame (the tree was replaced)
    const body = table.tBodies[0];
    body.addEventListener("click", (e) => this.onClick(e));
    body.addEventListener("contextmenu", (e) => this.onContextMenu(e));
    scroller.addEventListener("keydown", (e) => this.onKey(e));
    outline.addEventListener("shown", () => repaint(this));
    outline.addEventListener("selection", () => repaint(this));
  }

  get visible() {
    return !this.scroller.hidden;
  }

  // --- rows ---------------------------------------------------------------------

  createRow() {
    const tr = document.createElement("tr");
    const name = tr.insertCell();
    name.className = "name";
    const cell = document.createElement("span");
    cell.className = "cell";
    const toggle = document.createElement("button");
    toggle.className = "toggle";
    toggle.tabIndex = -1;
    toggle.setAttribute("aria-hidden", "true");
    const icon = document.createElement("span");
    const label = document.createElement("span");
    label.className = "label";
    cell.append(toggle, icon, label, badge("pause"), badge("skip"));
    name.append(cell);
    tr.parts = { name, toggle, icon, label };
    tr.setAttribute("role", "row");
    return tr;
  }

  /** Fill `tr` with the outline's row `row`; subclasses add their cells. Only what changed is written. */
  paint(tr, row) {
    const { rows } = this.outline;
    const { name, toggle, icon, label } = tr.parts;
    if (tr.row !== row || tr.rows !== rows) {
      tr.row = row;
      tr.rows = rows;
      setAttribute(tr, "data-sn", rows.sn[row]);
      setAttribute(tr, "aria-level", rows.depth[row] + 1);
      name.style.paddingLeft = `${0.3 + rows.depth[row] * 1.2}em`;
      setText(label, rows.name[row]);
      const type = rows.type[row];
      setAttribute(icon, "class", `icon icon-${type}`);
      setAttribute(icon, "title", NODE_TYPES[type] ?? type);
      setClass(toggle, "leaf", !rows.branch[row]);
    }
    const state = rows.state[row];
    const flags = rows.flags[row];
    const main = mainState(state);
    const expanded = this.outline.isExpanded(row);
    const selected = row === this.outline.selectedRow;
    setAttribute(tr, "data-state", main);
    setText(toggle, rows.branch[row] ? (expanded ? "▾" : "▸") : "");
    setAttribute(tr, "aria-expanded", rows.branch[row] ? String(expanded) : null);
    setAttribute(tr, "aria-selected", String(selected));
    setClass(tr, "selected", selected);
    setClass(tr, "error", state.includes("ERROR"));
    setClass(tr, "skipped", state.includes("SKIP"));
    setClass(tr, "flag-pause", Boolean(flags & FLAG_BITS.PAUSE));
    setClass(tr, "flag-skip", Boolean(flags & FLAG_BITS.SKIP));
    setClass(tr, "running", main === "RUNNING");
    setClass(tr, "paused", main === "PAUSED");
  }

  // --- drawing -------------------------------------------------------------------

  /** The tree was replaced: at the next frame, show the rows the operator was looking at. */
  treeReplaced() {
    this.restore = true;
    repaint(this);
  }

  /** Show the rows `other` view shows (switching from one view to the other). */
  showSameRowsAs(other) {
    this.anchorKey = other.anchorKey;
    this.anchorOffset = other.anchorOffset;
    this.treeReplaced();
  }

  /** Bring a row into view when the view next draws (expanding what hides it). */
  follow(row) {
    if (row < 0) return;
    this.outline.reveal(row);
    this.reveal = row;
    repaintLive(this);
  }

  render() {
    if (!this.visible) return; // drawn when shown again
    const { outline, rows } = this;
    rows.setCount(outline.shown.length);
    const to = {};
    if (this.restore) {
      this.restore = false;
      const position = outline.position(outline.rowOfKey(this.anchorKey));
      if (position >= 0) to.anchor = [position, this.anchorOffset];
    }
    if (this.reveal >= 0) {
      const position = outline.position(this.reveal);
      this.reveal = -1;
      if (position >= 0) to.reveal = position;
    }
    rows.render(to);
    this.rememberWhereItIs();
  }

  scrolled() {
    if (!this.restore) this.rememberWhereItIs();
    repaint(this);
  }

  /** Remember the row at the top of the view (not while the tree is empty: it comes back). */
  rememberWhereItIs() {
    const { outline, rows } = this;
    if (!outline.shown.length) return;
    const { position, offset } = rows.anchor();
    this.anchorKey = outline.rows.key[outline.shown[Math.min(position, outline.shown.length - 1)]];
    this.anchorOffset = offset;
  }

  // --- the operator ----------------------------------------------------------------

  rowOf(target) {
    const tr = target.closest("tr[data-sn]");
    return tr ? tr.row : -1;
  }

  onClick(e) {
    const row = this.rowOf(e.target);
    if (row < 0) return;
    if (e.target.closest(".toggle:not(.leaf)")) this.outline.setExpanded(row, !this.outline.isExpanded(row));
    this.outline.select(row);
    this.scroller.focus({ preventScroll: true });
  }

  onContextMenu(e) {
    const row = this.rowOf(e.target);
    if (row < 0) return;
    e.preventDefault();
    this.outline.select(row);
    this.dispatchEvent(new CustomEvent("node-menu", { detail: { node: this.outline.node(row), x: e.clientX, y: e.clientY } }));
  }

  /** Arrows move the selection; Right expands, Left collapses (or goes to the container); Enter toggles. */
  onKey(e) {
    const { outline } = this;
    const { shown } = outline;
    if (!shown.length || e.altKey || e.ctrlKey || e.metaKey) return;
    const selected = outline.selectedRow;
    const at = outline.position(selected);
    const page = this.rows.pageSize();
    const moveTo = (position) => shown[Math.max(0, Math.min(shown.length - 1, position))];
    const moves = {
      ArrowDown: () => moveTo(at + 1),
      ArrowUp: () => moveTo(at < 0 ? 0 : at - 1),
      PageDown: () => moveTo(at + page),
      PageUp: () => moveTo(at - page),
      Home: () => shown[0],
      End: () => shown[shown.length - 1],
      ArrowRight: () => (at >= 0 && outline.rows.branch[selected] ? outline.setExpanded(selected, true) : undefined),
      ArrowLeft: () =>
        at >= 0 && outline.isExpanded(selected) ? outline.setExpanded(selected, false) : outline.rows.parent[selected],
      Enter: () => (at >= 0 ? outline.setExpanded(selected, !outline.isExpanded(selected)) : undefined),
    };
    if (!moves[e.key]) return;
    e.preventDefault();
    const target = moves[e.key]();
    if (typeof target === "number" && target >= 0) {
      outline.select(target);
      this.reveal = target;
    } else if (at >= 0) {
      this.reveal = selected;
    }
    repaint(this);
  }
}
