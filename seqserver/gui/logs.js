// The Logs tab (manual 4.2): level, timestamp to the millisecond, logger and
// message of every log record the sequencer publishes, filtered by origin.
import { timestamp } from "./format.js";

const MAX_ROWS = 5000; // older rows are dropped so a long night keeps the page light

const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, WARN: 30, ERROR: 40, EXCEPTION: 40, CRITICAL: 50, FATAL: 50 };

/**
 * The Logs Filter's three origins: the script author's own loggers (Sequence),
 * the sequencer's internals (seq.lib) and the state changes (seq.user).
 */
export function logOrigin(logger) {
  if (logger === "seq.user" || logger.startsWith("seq.user.")) return "seq.user";
  if (logger === "seq" || logger.startsWith("seq.lib") || logger.startsWith("seqkernel")) return "seq.lib";
  return "Sequence";
}

export class LogsView {
  constructor(table, minimumLevel = "DEBUG") {
    this.table = table;
    this.body = table.tBodies[0];
    this.shown = new Set(["Sequence", "seq.lib", "seq.user"]);
    this.minimum = LEVELS[minimumLevel] ?? 0;
  }

  add(event) {
    const level = (event.level || "INFO").toUpperCase();
    if ((LEVELS[level] ?? 20) < this.minimum) return;
    const row = document.createElement("tr");
    row.className = `level-${level.toLowerCase()}`;
    row.dataset.origin = logOrigin(event.logger || "");
    row.hidden = !this.shown.has(row.dataset.origin);
    for (const [name, text] of [
      ["level", level],
      ["ts", timestamp(event.ts)],
      ["logger", event.logger || ""],
      ["message", event.message ?? event.text ?? ""],
    ]) {
      const cell = document.createElement("td");
      cell.className = name;
      cell.textContent = text;
      if (name === "logger") cell.title = text;
      row.append(cell);
    }
    const pane = this.table.parentElement;
    const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
    this.body.append(row);
    while (this.body.rows.length > MAX_ROWS) this.body.deleteRow(0);
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  }

  /** A line of the page's own (connection lost, reconnected), told apart by style. */
  note(message) {
    this.add({ level: "NOTICE", ts: Date.now() / 1000, logger: "gui", message });
  }

  setShown(origin, shown) {
    if (shown) this.shown.add(origin);
    else this.shown.delete(origin);
    for (const row of this.body.rows) row.hidden = !this.shown.has(row.dataset.origin);
  }
}
