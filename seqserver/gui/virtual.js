// Tables of any length at the cost of one screenful: only the rows in view (and a
// few around them) exist in the document, between two spacer rows that stand
// for the rest. Rows have one fixed height (the table's --row-height), so the
// scroll position alone tells which rows show. Writing to the document happens
// in render(), called once a frame by the view that owns the table, which never
// reads the document's layout back: the scroll position is the one the last
// scroll event told, or the one it set itself.

import { afterDrawing } from "./frames.js";

const OVERSCAN = 6; // rows kept above and below the visible ones, for smooth scrolling

// Rows are repainted at every drawing; these write to the document only what changed, remembering
// what was written on the element itself (reading the document back costs as much as writing).
// An element is written through them only.

/** Set an element's text. */
export function setText(element, text) {
  if (element.shownText !== text) {
    element.textContent = text;
    element.shownText = text;
  }
}

/** Set (or, with null, remove) an attribute. */
export function setAttribute(element, name, value) {
  const text = value === null ? null : String(value);
  const written = (element.shownAttributes ??= {});
  if (written[name] === text) return;
  written[name] = text;
  if (text === null) element.removeAttribute(name);
  else element.setAttribute(name, text);
}

/** Add or remove a class. */
export function setClass(element, name, on) {
  const written = (element.shownClasses ??= {});
  if (written[name] === on) return;
  written[name] = on;
  element.classList.toggle(name, on);
}

export class VirtualRows {
  /**
   * `scroller` scrolls `table` (whose head stays on top); `createRow()` makes an
   * empty <tr>, `paintRow(tr, position)` fills it with the row at that position.
   */
  constructor({ scroller, table, createRow, paintRow, onScroll }) {
    this.scroller = scroller;
    this.table = table;
    this.body = table.tBodies[0];
    this.createRow = createRow;
    this.paintRow = paintRow;
    this.count = 0;
    this.rowHeight = parseFloat(getComputedStyle(table).getPropertyValue("--row-height")) || 22;
    this.viewHeight = 0; // of the rows' part of the scroller (below the table's head)
    this.top = 0; // the scroll position
    this.above = this.spacer();
    this.below = this.spacer();
    this.rows = [];
    this.body.replaceChildren(this.above, this.below);
    scroller.addEventListener("scroll", () => {
      const top = scroller.scrollTop;
      if (top === this.top) return; // where render() put it
      this.top = top;
      onScroll();
    }, { passive: true });
    new ResizeObserver(() => {
      this.measure();
      onScroll();
    }).observe(scroller);
  }

  /** How high the view is (read from the document: when it is resized, or first shown). */
  measure() {
    this.viewHeight = Math.max(0, this.scroller.clientHeight - (this.table.tHead?.offsetHeight ?? 0));
  }

  /** A row without cells (so that it adds no column) standing for rows out of view. */
  spacer() {
    const row = document.createElement("tr");
    row.className = "spacer";
    row.setAttribute("aria-hidden", "true");
    return row;
  }

  /** How many rows the table has. */
  setCount(count) {
    this.count = count;
  }

  /** Where the view is, to come back to: the row at its top and how far it is scrolled past. */
  anchor() {
    return { position: Math.floor(this.top / this.rowHeight), offset: this.top % this.rowHeight };
  }

  /** Whether the view shows the last row. */
  atEnd() {
    return this.top + this.viewHeight >= this.count * this.rowHeight - this.rowHeight;
  }

  /** How many whole rows the view holds. */
  pageSize() {
    return Math.max(1, Math.floor(this.viewHeight / this.rowHeight));
  }

  /**
   * Make the document show the rows in view, each painted afresh. `to` moves the
   * view first: {anchor: [position, offset]} scrolls to where an anchor() was,
   * {reveal: position} as little as shows that row, {end: true} to the last row.
   * A new scroll position is set after every view has drawn (afterDrawing).
   */
  render(to = {}) {
    if (!this.viewHeight) this.measure(); // shown since the last resize
    const rowHeight = this.rowHeight;
    const current = this.top;
    const bottom = Math.max(0, this.count * rowHeight - this.viewHeight);
    let top = current;
    if (to.anchor) top = to.anchor[0] * rowHeight + to.anchor[1];
    if (to.end) top = bottom;
    if (to.reveal !== undefined) {
      const rowTop = to.reveal * rowHeight;
      if (rowTop < top) top = rowTop;
      else if (rowTop + rowHeight > top + this.viewHeight) top = rowTop + rowHeight - this.viewHeight;
    }
    top = Math.max(0, Math.min(top, bottom));
    const first = Math.max(0, Math.min(Math.floor(top / rowHeight), this.count) - OVERSCAN);
    const last = Math.min(this.count, Math.ceil((top + this.viewHeight) / rowHeight) + OVERSCAN);
    const shown = Math.max(0, last - first);
    while (this.rows.length < shown) {
      const row = this.createRow();
      this.below.before(row);
      this.rows.push(row);
    }
    while (this.rows.length > shown) this.rows.pop().remove();
    this.above.style.height = `${first * rowHeight}px`;
    this.below.style.height = `${(this.count - first - shown) * rowHeight}px`;
    this.rows.forEach((row, k) => this.paintRow(row, first + k));
    if (top !== current) {
      this.top = top;
      afterDrawing(() => (this.scroller.scrollTop = top));
    }
  }
}
