// The Sequencer GUI page (manual chapter 4): wires the server connection to the
// toolbar, the tree, the tabs and the dialogs. Everything shown comes from the
// server: the welcome's snapshot, then events; every action is a command line
// of the kernel's language, the same a shell operator would type.
import { Connection, serverUrl, signIn } from "./connection.js";
import { TreeView } from "./tree.js";
import { LogsView } from "./logs.js";
import { VariablesView, shellQuote } from "./variables.js";
import { ConsoleView } from "./console.js";
import { ErrorDialog, PromptDialog, TextDialog } from "./dialogs.js";

const $ = (selector) => document.querySelector(selector);
const params = new URLSearchParams(location.search);

const connection = new Connection(serverUrl(location));
const tree = new TreeView($("#tree"));
const logs = new LogsView($("#logs"), (params.get("log-level") || "DEBUG").toUpperCase());
const variables = new VariablesView({ obList: $("#ob-list"), table: $("#variables"), setButton: $("#set-variables") });
const console_ = new ConsoleView($("#console-log"));
const errorDialog = new ErrorDialog($("#error-dialog"));
const prompt = new PromptDialog($("#basic-dialog"));
const textDialog = new TextDialog($("#text-dialog"));

/** Send a command; its outcome shows in the status bar (and the console). */
async function send(line) {
  try {
    const reply = await connection.command(line);
    showReply(line, reply);
    return reply;
  } catch (error) {
    showReply(line, { ok: false, error: error.message, output: "" });
    return null;
  }
}

function showReply(line, reply) {
  const status = $("#last-reply");
  const text = reply.ok ? reply.output || "ok" : reply.error;
  status.textContent = `${line}: ${text.split("\n").slice(-3).join(" ").slice(0, 300)}`;
  status.className = reply.ok ? "ok" : "failed";
  status.title = reply.ok ? reply.output : reply.error;
}

// --- connection ------------------------------------------------------------

function setConnected(connected) {
  document.body.classList.toggle("disconnected", !connected);
  $("#banner").hidden = connected;
  $("#connection-state").textContent = connected ? "Connected" : "Disconnected: reconnecting…";
  // What sends commands is disabled; what only changes the view (Debug Mode, the logs filter, tabs) is not.
  const senders = ".toolbar > button, #ob-file, #command-line, #otto-menu button, #set-variables, #console-line";
  for (const control of document.querySelectorAll(senders)) {
    control.disabled = !connected;
  }
  $("#append-ob").classList.toggle("disabled", !connected);
  if (!connected) {
    errorDialog.close();
    prompt.close();
  }
}

let everConnected = false;
connection.addEventListener("welcome", ({ detail: welcome }) => {
  setConnected(true);
  $("#server-name").textContent = welcome.server || "";
  $("#role").textContent = welcome.role ? `as ${welcome.role}` : "";
  if (everConnected) logs.note("reconnected to the sequencer server");
  everConnected = true;
  applySnapshot(welcome.snapshot || {});
  // Joining while a dialog waits for an answer: ask it here too.
  const [waiting] = welcome.snapshot?.dialogs || [];
  if (waiting) prompt.show(waiting);
  refreshOtto();
});
connection.addEventListener("refused", ({ detail: { reason } }) => {
  setConnected(false);
  $("#connection-state").textContent = "Not signed in";
  askToSignIn(reason);
});
connection.addEventListener("lost", () => {
  setConnected(false);
  if (everConnected) logs.note("connection to the sequencer server lost");
});
connection.addEventListener("sent", ({ detail }) => console_.sent(detail.line));
connection.addEventListener("received", ({ detail }) => console_.received(detail.line, detail.reply));

function applySnapshot(snapshot) {
  tree.render(snapshot.scripts);
  refreshVariables();
}

// --- events ----------------------------------------------------------------

const EVENT_HANDLERS = {
  state: (event) => tree.updateState(event),
  tree: (event) => applySnapshot(event.snapshot || {}),
  log: (event) => logs.add(event),
  output: (event) => logs.add({ ...event, level: event.stream.toUpperCase(), logger: event.stream, message: event.text }),
  error: (event) => errorDialog.show(event),
  dialog: (event) => (event.action === "request" ? prompt.show(event) : prompt.resolved(event.sn)),
  run: (event) => {
    if (event.status === "running" || event.status === "started") errorDialog.close();
    $("#connection-state").textContent = `Connected, run ${event.status}`;
  },
  notice: (event) => logs.add({ ...event, logger: "seqserver" }),
};

connection.addEventListener("event", ({ detail: event }) => EVENT_HANDLERS[event.kind]?.(event));

// --- toolbar ---------------------------------------------------------------

function selectedNodeOrComplain() {
  const node = tree.selected();
  if (!node) showReply("", { ok: false, error: "select a node in the tree first" });
  return node;
}

const TOOLBAR = {
  run: () => send("run"),
  abort: () => send("abort"),
  reset: () => send("reset"),
  // Continue resumes what waits: a node paused on its flag, else an aborted or failed run.
  continue: () => {
    const paused = tree.pausedNodes();
    return paused.length ? Promise.all(paused.map((node) => send(`resume ${node.sn}`))) : send("continue");
  },
  pause: () => toggleFlag(selectedNodeOrComplain(), "PAUSE"),
  skip: () => toggleFlag(selectedNodeOrComplain(), "SKIP"),
};

/** Flip a runtime flag (the manual's `flip`); a node paused on its PAUSE flag resumes when it is removed. */
async function toggleFlag(node, flag) {
  if (!node) return;
  const word = flag.toLowerCase();
  const removing = (node.flags || []).includes(flag);
  await send(`flip ${word} ${node.sn}`);
  if (flag === "PAUSE" && removing && (node.state || "").startsWith("PAUSED")) await send(`resume ${node.sn}`);
}

for (const button of document.querySelectorAll("[data-command]")) {
  button.addEventListener("click", () => TOOLBAR[button.dataset.command]());
}

$("#ob-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file) return;
  let ob;
  try {
    ob = JSON.parse(await file.text());
  } catch (error) {
    showReply(`Append OB ${file.name}`, { ok: false, error: `not a JSON file: ${error.message}` });
    return;
  }
  await send(`obdata ${shellQuote(JSON.stringify(ob))}`);
});

for (const box of document.querySelectorAll("#logs-filter input")) {
  box.addEventListener("change", () => logs.setShown(box.value, box.checked));
}

function commandInput(form, input) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const line = input.value.trim();
    if (line) send(line);
    input.value = "";
  });
}
commandInput($("#command-form"), $("#command-line"));
commandInput($("#console-form"), $("#console-line"));

// --- menus -----------------------------------------------------------------

const debugMode = $("#debug-mode");
function setDebugMode(on) {
  document.body.classList.toggle("debug", on);
  localStorage.setItem("seq.debugMode", on ? "1" : "");
  if (!on && $("#tab-console").hidden === false) showTab("logs");
}
debugMode.checked = Boolean(localStorage.getItem("seq.debugMode"));
setDebugMode(debugMode.checked);
debugMode.addEventListener("change", () => {
  setDebugMode(debugMode.checked);
  $("#application-menu").open = false;
});

document.addEventListener("click", (e) => {
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (!menu.contains(e.target) || e.target.closest("button")) menu.open = false;
  }
  if (!e.target.closest("#node-menu")) $("#node-menu").hidden = true;
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape") $("#node-menu").hidden = true;
});

// The tree's right-click menu: Pause/UnPause and Skip/UnSkip of the node clicked.
const nodeMenu = $("#node-menu");
tree.addEventListener("node-menu", ({ detail: { node, x, y } }) => {
  for (const item of nodeMenu.querySelectorAll("[data-flag]")) {
    const flag = item.dataset.flag.toUpperCase();
    const word = item.dataset.flag === "pause" ? "Pause" : "Skip";
    item.textContent = (node.flags || []).includes(flag) ? `Un${word}` : word;
  }
  nodeMenu.style.left = `${x}px`;
  nodeMenu.style.top = `${y}px`;
  nodeMenu.hidden = false;
  nodeMenu.dataset.sn = node.sn;
});
for (const item of nodeMenu.querySelectorAll("[data-flag]")) {
  item.addEventListener("click", () => {
    nodeMenu.hidden = true;
    toggleFlag(tree.selected(), item.dataset.flag.toUpperCase());
  });
}

// --- tabs ------------------------------------------------------------------

function showTab(name) {
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== `tab-${name}`;
  if (name === "variables") refreshVariables();
}
for (const button of document.querySelectorAll("[data-tab]")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}

// --- OB variables ----------------------------------------------------------

async function refreshVariables() {
  if (!connection.connected) return;
  const reply = await connection.command("lsvar").catch(() => null);
  if (reply && reply.ok) variables.show(groupVariables(reply.data || []));
}

/** The kernel's flat variable list, grouped by OB and then by template. */
function groupVariables(rows) {
  const obs = new Map();
  for (const row of rows) {
    if (!obs.has(row.ob)) obs.set(row.ob, { index: row.ob, name: row.ob_name, templates: new Map() });
    const templates = obs.get(row.ob).templates;
    if (!templates.has(row.template)) {
      templates.set(row.template, { index: row.template, name: row.template_name, variables: [] });
    }
    templates.get(row.template).variables.push({ name: row.name, type: row.type, value: row.value });
  }
  return [...obs.values()].map((ob) => ({ ...ob, templates: [...ob.templates.values()] }));
}

variables.addEventListener("apply", async ({ detail: { lines } }) => {
  for (const line of lines) await send(line);
  await refreshVariables();
});

// --- dialogs ---------------------------------------------------------------

errorDialog.addEventListener("retry", ({ detail: { error } }) => send(`retry ${error.sn}`));
errorDialog.addEventListener("ignore", () => send("continue"));
prompt.addEventListener("answer", ({ detail: { sn, answer } }) => send(`answer ${sn} ${answer}`));

// --- OTTO ------------------------------------------------------------------

// The OTTO menu shows when the sequencer has OTTO configured: `otto` answers
// with the configuration in its data, and fails when there is none.
const ottoConfig = $("#otto-config");

async function refreshOtto() {
  const reply = await connection.command("otto").catch(() => null);
  const configured = Boolean(reply && reply.ok && reply.data);
  $("#otto-menu").hidden = !configured;
  if (configured) {
    for (const [name, value] of Object.entries(reply.data)) {
      const field = ottoConfig.querySelector(`[name=${name}]`);
      if (field && name !== "password") field.value = value ?? "";
    }
  }
}

const OTTO_ACTIONS = {
  fetch: () => send("fetch"),
  list: async () => {
    const reply = await send("otto list");
    if (reply && reply.ok) textDialog.show("OBs in the queue", reply.output);
  },
  config: () => ottoConfig.showModal(),
};
for (const item of document.querySelectorAll("[data-otto]")) {
  item.addEventListener("click", () => OTTO_ACTIONS[item.dataset.otto]());
}
ottoConfig.addEventListener("close", async () => {
  if (ottoConfig.returnValue !== "save") return;
  const settings = new FormData(ottoConfig.querySelector("form"));
  // An emptied field clears that setting; an empty password keeps the current one.
  const words = [...settings]
    .filter(([name, value]) => name !== "password" || value !== "")
    .map(([name, value]) => shellQuote(`${name}=${value}`));
  const reply = await send(`otto set ${words.join(" ")}`);
  if (reply && reply.ok) refreshOtto();
});

// --- signing in ------------------------------------------------------------

// The address seqtool gui opens carries the token in its fragment (#token=...), which the
// browser never sends: the page trades it for the sign-in cookie at once and drops it from
// the address bar and the history. Without it, a refused page asks the operator for it.
const signInDialog = $("#signin-dialog");

function askToSignIn(reason) {
  signInDialog.querySelector(".reason").textContent = reason;
  if (!signInDialog.open) signInDialog.showModal();
}

signInDialog.querySelector("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const field = signInDialog.querySelector("[name=token]");
  const problem = await signIn(field.value);
  field.value = "";
  if (problem) {
    signInDialog.querySelector(".reason").textContent = problem;
    return;
  }
  signInDialog.close();
  connection.open();
});

async function start() {
  setConnected(false);
  $("#connection-state").textContent = "Connecting…";
  $("#banner").hidden = true;
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) {
    history.replaceState(null, "", location.pathname + location.search);
    const problem = await signIn(token);
    if (problem) logs.note(`sign-in with the address's token failed: ${problem}`);
  }
  connection.open();
}

start();
