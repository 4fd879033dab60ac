// Debug Mode's Console tab (manual 4.2): a raw command line to the server and a
// log of what was sent and received, each line stamped with the browser's time.
import { clock } from "./format.js";

const MAX_LINES = 2000;

export class ConsoleView {
  constructor(log) {
    this.log = log;
  }

  sent(line) {
    this.append("sent", line);
  }

  received(line, reply) {
    const outcome = reply.ok ? "" : `  [error] ${reply.error}`;
    this.append(reply.ok ? "received" : "received error", `${line}${outcome}`, reply.output);
  }

  append(kind, text, output = "") {
    const entry = document.createElement("div");
    entry.className = `console-${kind.replace(" ", "-")}`;
    entry.textContent = `${clock(new Date())} ${kind}: ${text}`;
    if (output) {
      const pre = document.createElement("pre");
      pre.textContent = output;
      entry.append(pre);
    }
    this.log.append(entry);
    while (this.log.childElementCount > MAX_LINES) this.log.firstElementChild.remove();
    this.log.scrollTop = this.log.scrollHeight;
  }
}
