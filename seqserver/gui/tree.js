// The tree of loaded scripts (manual 4.2, "The Tree Window"): one row per node
// with its name and description; Debug Mode adds the serial number and state
// columns. Running nodes are highlighted; following the run keeps the latest
// one in view. Only the rows on screen exist in the document (see virtual.js).
import { stateText, stateDisplayForm } from "./format.js";
import { flagNames } from "./rows.js";
import { OutlineView } from "./outline-view.js";
import { setAttribute, setText } from "./virtual.js";

export class TreeView extends OutlineView {
  createRow() {
    const tr = super.createRow();
    const cell = (className) => Object.assign(tr.insertCell(), { className });
    Object.assign(tr.parts, {
      sn: cell("sn debug-only"),
      state: cell("state debug-only"),
      description: cell("description"),
    });
    return tr;
  }

  paint(tr, row) {
    super.paint(tr, row);
    const { rows } = this.outline;
    const flags = flagNames(rows.flags[row]);
    setText(tr.parts.sn, String(rows.sn[row]));
    setText(tr.parts.state, stateText(rows.state[row], flags));
    setAttribute(tr.parts.state, "title", stateDisplayForm(rows.state[row], flags));
    setText(tr.parts.description, rows.description[row]);
    setAttribute(tr.parts.description, "title", rows.description[row]);
  }
}
