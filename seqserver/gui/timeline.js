// The timeline of the run: the tree's rows, each with a bar from the node's start
// to its end, coloured by its state; running nodes' bars grow as they run. It
// answers where the time went. The time axis is fitted to the whole run until
// the operator zooms (Ctrl+wheel, the +/- buttons or keys) or pans (Shift+wheel,
// dragging); Fit (or 0) fits it again. Hovering a bar tells the node's name,
// serial number, start, duration and result or error.
import { clock, formatDuration, mainState, stateText } from "./format.js";
import { flagNames } from "./rows.js";
import { OutlineView } from "./outline-view.js";
import { setAttribute, setText } from "./virtual.js";
import { repaint, repaintLive } from "./frames.js";

const TICK_SPACING_PX = 110; // about this far apart
const STEPS = [1, 2, 5];
const MIN_SPAN = 0.001; // seconds: the finest zoom
const ZOOM_STEP = 2;
const GROWTH_CHECK_MS = 5000; // the longest between two drawings of running bars

/** A round step between ticks (1, 2 or 5 times a power of ten seconds) for `span` seconds over `width` px. */
function tickStep(span, width) {
  const wanted = (span * TICK_SPACING_PX) / Math.max(width, 1);
  const power = 10 ** Math.floor(Math.log10(wanted));
  return (STEPS.find((step) => step * power >= wanted) ?? 10) * power;
}

/** The class a bar takes from its node's state: its colour. */
function barClass(state) {
  const main = mainState(state);
  if (state.includes("ERROR")) return main === "FINISHED" ? "bar failed" : "bar cancelled-error";
  if (state.includes("SKIP")) return "bar skipped";
  return `bar ${main.toLowerCase()}`;
}

export class TimelineView extends OutlineView {
  constructor(outline, { scroller, table, tip, now }) {
    super(outline, { scroller, table });
    this.tip = tip;
    this.now = now; // () => the server's time now, or the end of a replayed run
    this.live = false; // a run is in progress: running bars grow
    this.growing = null; // the timer of their next drawing
    this.window = null; // {start, span} in seconds, or null: fitted to the run
    this.range = { start: 0, span: 1 };
    this.axis = table.querySelector(".axis");
    this.trackWidth = 1;
    new ResizeObserver(() => {
      this.trackWidth = this.axis.clientWidth || 1;
      repaint(this);
    }).observe(this.axis);
    const body = table.tBodies[0];
    body.addEventListener("mouseover", (e) => this.hover(e));
    body.addEventListener("mouseleave", () => (this.tip.hidden = true));
    scroller.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    body.addEventListener("pointerdown", (e) => this.startDrag(e));
  }

  createRow() {
    const tr = super.createRow();
    const sn = Object.assign(tr.insertCell(), { className: "sn debug-only" });
    const track = Object.assign(tr.insertCell(), { className: "track" });
    const bar = document.createElement("div");
    bar.className = "bar";
    track.append(bar);
    Object.assign(tr.parts, { sn, track, bar });
    return tr;
  }

  paint(tr, row) {
    super.paint(tr, row);
    const { rows, start, end } = this.outline;
    setText(tr.parts.sn, String(rows.sn[row]));
    const bar = tr.parts.bar;
    const begun = start[row];
    if (Number.isNaN(begun)) {
      if (!bar.hidden) bar.hidden = true;
      return;
    }
    const ended = end[row];
    const { start: origin, span } = this.range;
    const scale = this.trackWidth / span;
    const left = (begun - origin) * scale;
    const right = ((Number.isNaN(ended) ? this.now() : ended) - origin) * scale;
    const outside = right < 0 || left > this.trackWidth;
    if (bar.hidden !== outside) bar.hidden = outside;
    const x = Math.max(left, -2);
    const geometry = `transform: translateX(${x.toFixed(1)}px); width: ${Math.max(2, Math.min(right, this.trackWidth + 2) - x).toFixed(1)}px`;
    if (bar.geometry !== geometry) bar.style.cssText = bar.geometry = geometry;
    setAttribute(bar, "class", `${barClass(rows.state[row])}${this.outline.approximate[row] ? " approximate" : ""}`);
    setAttribute(bar, "data-start", begun);
    setAttribute(bar, "data-end", Number.isNaN(ended) ? "" : ended);
  }

  /** The run's extent: from the first start to the last end (or now, while something runs). */
  runExtent() {
    const { start, end, count } = this.outline;
    let first = Infinity;
    let last = -Infinity;
    let running = false;
    for (let i = 0; i < count; i++) {
      if (Number.isNaN(start[i])) continue;
      first = Math.min(first, start[i]);
      if (Number.isNaN(end[i])) running = true;
      else last = Math.max(last, end[i]);
    }
    if (first === Infinity) return null;
    if (running) last = Math.max(last, this.now());
    return { start: first, end: Math.max(last, first + MIN_SPAN) };
  }

  render() {
    if (!this.visible) return;
    if (this.trackWidth <= 1) this.trackWidth = this.axis.clientWidth || 1; // shown for the first time
    const extent = this.runExtent();
    this.origin = extent ? extent.start : 0;
    this.range = this.window ?? (extent ? { start: extent.start, span: extent.end - extent.start } : { start: 0, span: 1 });
    super.render();
    this.drawAxis();
    if (this.live) {
      // The running bars grow: draw again once they have grown by a pixel (at most every few seconds).
      clearTimeout(this.growing);
      const perPixel = (this.range.span / this.trackWidth) * 1000;
      this.growing = setTimeout(() => repaintLive(this), Math.min(GROWTH_CHECK_MS, perPixel));
    }
  }

  drawAxis() {
    const { start, span } = this.range;
    const width = this.trackWidth;
    const step = tickStep(span, width);
    const ticks = [];
    for (let t = Math.ceil((start - this.origin) / step) * step; t <= start - this.origin + span; t += step) {
      ticks.push(t);
    }
    while (this.axis.children.length < ticks.length) {
      this.axis.append(Object.assign(document.createElement("span"), { className: "tick" }));
    }
    [...this.axis.children].forEach((tick, k) => {
      const unused = k >= ticks.length;
      if (tick.hidden !== unused) tick.hidden = unused;
      if (unused) return;
      const x = ((ticks[k] + this.origin - start) / span) * width;
      const geometry = `transform: translateX(${x.toFixed(1)}px)`;
      if (tick.geometry !== geometry) tick.style.cssText = tick.geometry = geometry;
      setText(tick, formatDuration(ticks[k], step));
    });
  }

  // --- zoom and pan -------------------------------------------------------------

  /** Zoom by `factor` (below 1 zooms in), keeping the time under `x` (px into the track) in place. */
  zoom(factor, x = this.trackWidth / 2) {
    const { start, span } = this.range;
    const at = start + (x / this.trackWidth) * span;
    const newSpan = Math.max(MIN_SPAN, span * factor);
    this.window = { start: at - (x / this.trackWidth) * newSpan, span: newSpan };
    repaint(this);
  }

  pan(px) {
    const { start, span } = this.range;
    this.window = { start: start + (px / this.trackWidth) * span, span };
    repaint(this);
  }

  fit() {
    this.window = null;
    repaint(this);
  }

  trackX(clientX) {
    return clientX - this.axis.getBoundingClientRect().left;
  }

  onWheel(e) {
    if (e.ctrlKey) {
      e.preventDefault();
      this.zoom(e.deltaY > 0 ? ZOOM_STEP : 1 / ZOOM_STEP, this.trackX(e.clientX));
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      this.pan(e.shiftKey ? e.deltaY : e.deltaX);
    }
  }

  startDrag(e) {
    if (e.button !== 0 || !e.target.closest(".track")) return;
    let lastX = e.clientX;
    const move = (m) => {
      this.pan(lastX - m.clientX);
      lastX = m.clientX;
    };
    const stop = () => {
      removeEventListener("pointermove", move);
      removeEventListener("pointerup", stop);
    };
    addEventListener("pointermove", move);
    addEventListener("pointerup", stop);
  }

  onKey(e) {
    const zooms = { "+": () => this.zoom(1 / ZOOM_STEP), "=": () => this.zoom(1 / ZOOM_STEP), "-": () => this.zoom(ZOOM_STEP), 0: () => this.fit() };
    if (zooms[e.key] && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      zooms[e.key]();
      return;
    }
    super.onKey(e);
  }

  // --- the tooltip -----------------------------------------------------------------

  hover(e) {
    const bar = e.target.closest(".bar");
    const row = bar ? this.rowOf(bar) : -1;
    if (row < 0) {
      this.tip.hidden = true;
      return;
    }
    const { rows, start, end, errors } = this.outline;
    const ended = end[row];
    const state = rows.state[row];
    const lines = [
      [`${rows.name[row]} (${rows.sn[row]})`, "what"],
      [`start ${clock(new Date(start[row] * 1000))}`, "start"],
      [`duration ${formatDuration((Number.isNaN(ended) ? this.now() : ended) - start[row])}${Number.isNaN(ended) ? " so far" : ""}`, "duration"],
      [stateText(state, flagNames(rows.flags[row])), "result"],
    ];
    const error = errors.get(rows.sn[row]);
    if (error) lines.push([error, "exception"]);
    if (this.outline.approximate[row]) {
      lines.push(["approximate: this page fell behind the run, and these times span what it did not hear", "note"]);
    }
    this.tip.replaceChildren(...lines.map(([text, className]) => Object.assign(document.createElement("div"), { textContent: text, className })));
    this.tip.hidden = false;
    const { width, height } = this.tip.getBoundingClientRect();
    this.tip.style.left = `${Math.max(0, Math.min(e.clientX + 14, innerWidth - width - 4))}px`;
    this.tip.style.top = `${e.clientY + 16 + height < innerHeight ? e.clientY + 16 : Math.max(0, e.clientY - height - 8)}px`;
  }
}
