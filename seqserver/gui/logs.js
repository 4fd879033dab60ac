// The Logs tab (manual 4.2): level, timestamp to the millisecond, logger and
// message of every log record the sequencer publishes, and what scripts print,
// filtered by origin. A message of several lines takes a row per line. The view
// keeps the last MAX_LOG_LINES lines (the session's seq_user.log keeps them all)
// and, like the tree, puts only the rows on screen in the document.
import { timestamp } from "./format.js";
import { VirtualRows, setAttribute, setText } from "./virtual.js";
import { repaint, repaintLive } from "./frames.js";

export const MAX_LOG_LINES = 10_000;
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

export class LogsView {
  constructor({ panel, scroller, table, note }, minimumLevel = "DEBUG") {
    this.panel = panel;
    this.scroller = scroller;
    this.noteElement = note;
    this.shownOrigins = new Set(["Sequence", "seq.lib", "seq.user"]);
    this.minimum = LEVELS[minimumLevel] ?? 0;
    this.lines = []; // {number, level, ts, logger, message, origin, first}: one per line of text
    this.numbered = 0;
    this.shown = []; // the lines the filter lets through
    this.dropped = 0; // lines no longer kept
    this.follow = true; // the view stays at the newest line while it is there
    this.rows = new VirtualRows({
      scroller,
      table,
      createRow: () => this.createRow(),
      paintRow: (tr, position) => this.paint(tr, this.shown[position]),
      onScroll: () => this.scrolled(),
    });
  }

  /** Take log lines ({level, ts, logger, message}) as the link hands them on. */
  add(records) {
    for (const record of records) {
      const level = (record.level || "INFO").toUpperCase();
      if ((LEVELS[level] ?? 20) < this.minimum) continue;
      const logger = record.logger || "";
      const origin = logOrigin(logger);
      const text = String(record.message ?? "").replace(/\n$/, "");
      text.split("\n").forEach((message, k) => {
        const line = { number: this.numbered++, level, ts: record.ts, logger, message, origin, first: k === 0 };
        this.lines.push(line);
        if (this.shownOrigins.has(origin)) this.shown.push(line);
      });
    }
    if (this.lines.length > MAX_LOG_LINES + TRIM_EVERY) this.trim();
    repaintLive(this);
  }

  trim() {
    const gone = this.lines.length - MAX_LOG_LINES;
    this.lines.splice(0, gone);
    this.dropped += gone;
    const oldest = this.lines[0].number;
    const kept = this.shown.findIndex((line) => line.number >= oldest);
    const removed = kept < 0 ? this.shown.length : kept;
    this.shown.splice(0, removed);
    if (!this.follow) this.scroller.scrollTop -= removed * this.rows.rowHeight; // the same lines stay in view
  }

  /** A line of the page's own (connection lost, reconnected), told apart by style. */
  note(message) {
    this.add([{ level: "NOTICE", ts: Date.now() / 1000, logger: "gui", message }]);
  }

  setShown(origin, shown) {
    if (shown) this.shownOrigins.add(origin);
    else this.shownOrigins.delete(origin);
    this.shown = this.lines.filter((line) => this.shownOrigins.has(line.origin));
    repaint(this);
  }

  createRow() {
    const tr = document.createElement("tr");
    tr.parts = {};
    for (const name of ["level", "ts", "logger", "message"]) tr.parts[name] = Object.assign(tr.insertCell(), { className: name });
    return tr;
  }

  paint(tr, line) {
    if (tr.line === line) return;
    tr.line = line;
    const { level, ts, logger, message } = tr.parts;
    setAttribute(tr, "class", `level-${line.level.toLowerCase()}${line.first ? "" : " continued"}`);
    setAttribute(tr, "data-origin", line.origin);
    setText(level, line.first ? line.level : "");
    setText(ts, line.first ? timestamp(line.ts) : "");
    setText(logger, line.first ? line.logger : "");
    setAttribute(logger, "title", line.logger);
    setText(message, line.message);
    setAttribute(message, "title", line.message);
  }

  scrolled() {
    const { scrollTop, scrollHeight, clientHeight } = this.scroller;
    this.follow = scrollTop + clientHeight >= scrollHeight - this.rows.rowHeight;
    repaint(this);
  }

  render() {
    if (this.panel.hidden) return;
    this.rows.setCount(this.shown.length);
    this.rows.render({ end: this.follow });
    this.noteElement.hidden = this.dropped === 0;
    setText(this.noteElement, `The ${MAX_LOG_LINES.toLocaleString("en")} latest lines; ${this.dropped.toLocaleString("en")} earlier ones are in the session's seq_user.log.`);
  }
}
