// The OB Variables tab (manual 4.2): the loaded OBs on the left; on the right
// the selected OB's variables grouped by template (name, type, value). A value
// is edited by double-clicking it; "Set Variables on Sequencer" sends the
// edited values of the selected OB as `setvar` commands.

/** Quote a word for the kernel's shlex-based command parser. */
export function shellQuote(text) {
  const word = String(text);
  return /^[\w.+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

export class VariablesView extends EventTarget {
  constructor({ obList, table, setButton }) {
    super();
    this.obList = obList;
    this.table = table;
    this.body = table.tBodies[0];
    this.setButton = setButton;
    this.obs = []; // [{index, name, templates: [{index, name, variables: [{name, type, value}]}]}]
    this.selectedOb = null;
    this.edits = new Map(); // "ob/template/name" -> new value text
    this.body.addEventListener("dblclick", (e) => this.edit(e.target.closest("td.value")));
    this.obList.addEventListener("click", (e) => {
      const item = e.target.closest("li[data-ob]");
      if (item) this.selectOb(Number(item.dataset.ob));
    });
    this.setButton.addEventListener("click", () => this.apply());
  }

  /** Show the variables as the kernel lists them (`lsvar` reply data). */
  show(obs) {
    this.obs = obs;
    this.edits.clear();
    this.obList.replaceChildren(
      ...obs.map((ob) => {
        const item = document.createElement("li");
        item.dataset.ob = ob.index;
        item.textContent = ob.name;
        return item;
      }),
    );
    const keep = obs.some((ob) => ob.index === this.selectedOb);
    this.selectOb(keep ? this.selectedOb : obs[0]?.index ?? null);
  }

  selectOb(index) {
    this.selectedOb = index;
    for (const item of this.obList.children) item.classList.toggle("selected", Number(item.dataset.ob) === index);
    const ob = this.obs.find((o) => o.index === index);
    const rows = [];
    for (const template of ob?.templates ?? []) {
      const group = document.createElement("tr");
      group.className = "template";
      const cell = document.createElement("td");
      cell.colSpan = 3;
      cell.textContent = template.name ? `${template.index}  ${template.name}` : String(template.index);
      group.append(cell);
      rows.push(group);
      for (const variable of template.variables) rows.push(this.variableRow(ob, template, variable));
    }
    this.body.replaceChildren(...rows);
    this.setButton.disabled = ob == null;
  }

  variableRow(ob, template, variable) {
    const row = document.createElement("tr");
    row.className = "variable";
    row.dataset.key = `${ob.index}/${template.index}/${variable.name}`;
    for (const [name, text] of [["name", variable.name], ["type", variable.type], ["value", variable.value]]) {
      const cell = document.createElement("td");
      cell.className = name;
      cell.textContent = typeof text === "string" ? text : JSON.stringify(text);
      row.append(cell);
    }
    const edited = this.edits.get(row.dataset.key);
    if (edited !== undefined) {
      row.querySelector(".value").textContent = edited;
      row.classList.add("edited");
    }
    return row;
  }

  edit(cell) {
    if (!cell || cell.querySelector("input")) return;
    const row = cell.parentElement;
    const input = document.createElement("input");
    input.value = cell.textContent;
    input.className = "value-editor";
    const finish = (keep) => {
      if (!input.isConnected) return;
      if (keep && input.value !== cell.dataset.original) {
        this.edits.set(row.dataset.key, input.value);
        row.classList.add("edited");
      }
      cell.textContent = keep ? input.value : cell.dataset.original;
    };
    cell.dataset.original = cell.textContent;
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") finish(true);
      if (e.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
    cell.replaceChildren(input);
    input.focus();
    input.select();
  }

  /** The `setvar` lines for the selected OB's edited values. */
  pendingCommands() {
    const lines = [];
    for (const [key, value] of this.edits) {
      const [ob, template, ...name] = key.split("/");
      if (Number(ob) !== this.selectedOb) continue;
      lines.push(`setvar ${ob} ${template} ${shellQuote(name.join("/"))} ${shellQuote(value)}`);
    }
    return lines;
  }

  apply() {
    this.dispatchEvent(new CustomEvent("apply", { detail: { lines: this.pendingCommands() } }));
  }
}
