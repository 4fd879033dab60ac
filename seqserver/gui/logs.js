// The Logs tab (manual 4.2): level, timestamp to the millisecond, logger and
// message of every log record the sequencer publishes, and what scripts print,
// filtered by origin. A message of several lines takes a row per line. The view
// keeps the last MAX_LOG_LINES lines (the session's seq_user.log keeps them all)
// and, like the tree, puts only the rows on screen in the document.
import { timestamp } from "./format.js";
import { VirtualRows, setAttribute, setText } from "./virtual.js";
import { repaint, repaintLive } from "./frames.js";

export const MAX_LOG_LINES = 10_000;
const LIVE_MS = 250; // while lines flow in, four drawings a second: nobody reads faster
const TRIM_EVERY = 1_000; // lines beyond the limit dropped at once

const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, WARN: 30, ERROR: 40, EXCEPTION: 40, CRITICAL: 50, FATAL: 50 };

/**
 * The Logs Filter's three origins: the script author's own loggers (Sequence),
 * the sequencer's internals (seq.lib) and the state changes (seq.user).
 */
function logOrigin(logger) {
  if (logger === "seq.user" || logger.startsWith("seq.user.")) return "seq.user";
  if (logger === "seq" || logger.startsWith("seq.lib") || logger.startsWith("seqkernel")) return "seq.lib";
  return "Sequence";
}

/**
 * Log lines as columns, as they cross from the link's worker to the page: a few
 * arrays (levels and loggers as indexes into `names`) rather than an object a
 * line, which spares the page's memory and its garbage collector during floods.
 */
export class LogColumns {
  constructor() {
    this.ts = [];
    this.level = [];
    this.logger = [];
    this.message = [];
    this.names = [];
    this.nameIndex = new Map();
  }

  get length() {
    return this.message.length;
  }

  name(text) {
    let index = this.nameIndex.get(text);
    if (index === undefined) {
      index = this.names.push(text) - 1;
      this.nameIndex.set(text, index);
    }
    return index;
  }

  push(level, ts, logger, message) {
    this.ts.push(ts);
    this.level.push(this.name(String(level || "INFO").toUpperCase()));
    this.logger.push(this.name(logger || ""));
    this.message.push(String(message ?? ""));
  }

  /** Keep only the last `count` lines; returns this. */
  keepLast(count) {
    const gone = Math.max(0, this.length - count);
    for (const column of [this.ts, this.level, this.logger, this.message]) column.splice(0, gone);
    return this;
  }

  /** The lines as plain arrays (typed where they can be, to be handed over rather than copied). */
  columns() {
    return {
      ts: Float64Array.from(this.ts),
      level: Uint16Array.from(this.level),
      logger: Uint16Array.from(this.logger),
      message: this.message,
      names: this.names,
    };
  }
}

export class LogsView {
  constructor({ panel, scroller, table, note }, minimumLevel = "DEBUG") {
    this.panel = panel;
    this.scroller = scroller;
    this.noteElement = note;
    this.shownOrigins = new Set(["Sequence", "seq.lib", "seq.user"]);
    this.minimum = LEVELS[minimumLevel] ?? 0;
    // One entry a line of text, in columns; line number n is at index n - base.
    this.kept = { level: [], ts: [], logger: [], message: [], origin: [], first: [] };
    this.base = 0;
    this.shown = []; // numbers of the lines the filter lets through
    this.origins = new Map(); // logger -> origin
    this.dropped = 0; // lines no longer kept
    this.follow = true; // the view stays at the newest line while it is there
    this.shifted = 0; // rows dropped above the view since it was drawn
    this.rows = new VirtualRows({
      scroller,
      table,
      createRow: () => this.createRow(),
      paintRow: (tr, position) => this.paint(tr, this.shown[position]),
      onScroll: () => this.scrolled(),
    });
  }

  get count() {
    return this.kept.message.length;
  }

  /** Take log lines (LogColumns.columns()) as the link hands them on. */
  add({ ts, level, logger, message, names }) {
    const kept = this.kept;
    for (let k = 0; k < message.length; k++) {
      const levelName = names[level[k]];
      if ((LEVELS[levelName] ?? 20) < this.minimum) continue;
      const loggerName = names[logger[k]];
      let origin = this.origins.get(loggerName);
      if (origin === undefined) this.origins.set(loggerName, (origin = logOrigin(loggerName)));
      const text = message[k].endsWith("\n") ? message[k].slice(0, -1) : message[k];
      const pieces = text.includes("\n") ? text.split("\n") : [text];
      pieces.forEach((piece, n) => {
        if (this.shownOrigins.has(origin)) this.shown.push(this.base + this.count);
        kept.level.push(levelName);
        kept.ts.push(ts[k]);
        kept.logger.push(loggerName);
        kept.message.push(piece);
        kept.origin.push(origin);
        kept.first.push(n === 0);
      });
    }
    if (this.count > MAX_LOG_LINES + TRIM_EVERY) this.trim();
    repaintLive(this, LIVE_MS);
  }

  trim() {
    const gone = this.count - MAX_LOG_LINES;
    for (const column of Object.values(this.kept)) column.splice(0, gone);
    this.base += gone;
    this.dropped += gone;
    const kept = this.shown.findIndex((number) => number >= this.base);
    const removed = kept < 0 ? this.shown.length : kept;
    this.shown.splice(0, removed);
    this.shifted += removed; // rows gone from above: the same lines stay in view
  }

  /** A line of the page's own (connection lost, reconnected), told apart by style. */
  note(message) {
    const line = new LogColumns();
    line.push("NOTICE", Date.now() / 1000, "gui", message);
    this.add(line.columns());
  }

  setShown(origin, shown) {
    if (shown) this.shownOrigins.add(origin);
    else this.shownOrigins.delete(origin);
    this.shown = [];
    this.kept.origin.forEach((lineOrigin, i) => this.shownOrigins.has(lineOrigin) && this.shown.push(this.base + i));
    repaint(this);
  }

  createRow() {
    const tr = document.createElement("tr");
    tr.parts = {};
    for (const name of ["level", "ts", "logger", "message"]) tr.parts[name] = Object.assign(tr.insertCell(), { className: name });
    return tr;
  }

  paint(tr, number) {
    if (tr.line === number) return;
    tr.line = number;
    const i = number - this.base;
    const { level, ts, logger, message } = tr.parts;
    const kept = this.kept;
    const first = kept.first[i];
    setAttribute(tr, "class", `level-${kept.level[i].toLowerCase()}${first ? "" : " continued"}`);
    setAttribute(tr, "data-origin", kept.origin[i]);
    setText(level, first ? kept.level[i] : "");
    setText(ts, first ? timestamp(kept.ts[i]) : "");
    setText(logger, first ? kept.logger[i] : "");
    setAttribute(logger, "title", kept.logger[i]);
    setText(message, kept.message[i]);
    setAttribute(message, "title", kept.message[i]);
  }

  scrolled() {
    this.follow = this.rows.atEnd();
    repaint(this);
  }

  render() {
    if (this.panel.hidden) return;
    this.rows.setCount(this.shown.length);
    const { position, offset } = this.rows.anchor();
    this.rows.render(this.follow ? { end: true } : { anchor: [Math.max(0, position - this.shifted), offset] });
    this.shifted = 0;
    this.noteElement.hidden = this.dropped === 0;
    setText(this.noteElement, `The ${MAX_LOG_LINES.toLocaleString("en")} latest lines; ${this.dropped.toLocaleString("en")} earlier ones are in the session's seq_user.log.`);
  }
}
