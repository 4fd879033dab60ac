// The Sequencer GUI page (manual chapter 4): wires the link to the server to the
// toolbar, the tree, the timeline, the tabs and the dialogs. Everything shown
// comes from the server: the welcome's snapshot, then events, which the link
// (a worker) folds into one batch a frame; every action is a command line of the
// kernel's language, the same a shell operator would type. With ?replay=FILE the
// page shows a recorded run (seqtool gui --replay serves its events as a server
// would) and offers nothing to send.
import { Link, serverUrl, signIn } from "./link.js";
import { Outline } from "./rows.js";
import { TreeView } from "./tree.js";
import { TimelineView } from "./timeline.js";
import { LogsView } from "./logs.js";
import { VariablesView, shellQuote } from "./variables.js";
import { ConsoleView } from "./console.js";
import { QueueView } from "./queue.js";
import { DirectoryView } from "./directory.js";
import { ErrorDialog, PromptDialog, TextDialog } from "./dialogs.js";
import { repaintLive } from "./frames.js";
import { setText } from "./virtual.js";

const $ = (selector) => document.querySelector(selector);
const $$ = (selector) => document.querySelectorAll(selector);
const params = new URLSearchParams(location.search);
const replayed = params.get("replay"); // the name of the recorded run shown, or null when live

const link = new Link();
const outline = new Outline();
const serverClock = { lastTs: 0, skew: 0 }; // see link-worker.js
const now = () => (replayed ? serverClock.lastTs : Date.now() / 1000 - serverClock.skew);
const tree = new TreeView(outline, { scroller: $("#tree-pane"), table: $("#tree") });
const timeline = new TimelineView(outline, { scroller: $("#timeline-pane"), table: $("#timeline"), tip: $("#timeline-tip"), now });
const logs = new LogsView(
  { panel: $("#tab-logs"), scroller: $("#logs-scroll"), table: $("#logs"), note: $("#logs-note") },
  (params.get("log-level") || "DEBUG").toUpperCase(),
);
const variables = new VariablesView({ obList: $("#ob-list"), table: $("#variables"), setButton: $("#set-variables") });
const console_ = new ConsoleView($("#console-log"));
const errorDialog = new ErrorDialog($("#error-dialog"));
const prompt = new PromptDialog($("#basic-dialog"));
const textDialog = new TextDialog($("#text-dialog"));
const queue = new QueueView({ panel: $("#tab-queue"), outline, send, showText: (title, text) => textDialog.show(title, text),
                              readOnly: Boolean(replayed) });
if (!replayed) new DirectoryView(link, { tab: $("[data-tab=directory]"), note: $("#directory-note"), table: $("#directory") });

/** Send a command; its outcome shows in the status bar (and the console). */
async function send(line) {
  try {
    const reply = await link.command(line);
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
  const said = text.split("\n").slice(-3).join(" ").slice(0, 300);
  const named = said.startsWith(`${line.split(" ")[0]}:`); // a refusal names its command already
  status.textContent = named ? said : `${line}: ${said}`;
  status.className = reply.ok ? "ok" : "failed";
  status.title = reply.ok ? reply.output : reply.error;
}

// --- the status bar ----------------------------------------------------------

// The run's status, as the snapshot has it after the last batch: it is the truth
// after any resynchronisation, whatever events were missed.
const STATUS_WORDS = {
  idle: "",
  running: "running",
  paused: "paused",
  finished: "run finished",
  error: "run stopped on an error",
  aborted: "run aborted",
};
const page = { connected: false, status: "idle" };

/** What the status bar says of the connection and the run (written only when it changes). */
function sayState(text) {
  setText($("#connection-state"), text);
}

function showStatus() {
  if (!page.connected) return; // the connection's own words stay
  const words = STATUS_WORDS[page.status] ?? page.status;
  const where = replayed ? `Replay of ${replayed}` : "Connected";
  sayState(words ? `${where}, ${words}` : where);
}

// --- connection ------------------------------------------------------------

function setConnected(connected) {
  page.connected = connected;
  document.body.classList.toggle("disconnected", !connected);
  $("#banner").hidden = connected;
  // What sends commands is disabled (a recorded run takes none); what only changes the view
  // (Debug Mode, the logs filter, tabs) is not.
  const senders = ".toolbar > button, #ob-file, #command-line, #otto-menu button, #set-variables, #console-line";
  for (const control of $$(senders)) control.disabled = !connected || Boolean(replayed);
  $("#append-ob").classList.toggle("disabled", !connected || Boolean(replayed));
  if (connected) {
    showStatus();
  } else {
    sayState("Disconnected: reconnecting…");
    errorDialog.close();
    prompt.close();
  }
}

let everConnected = false;
link.addEventListener("welcome", ({ detail: welcome }) => {
  setConnected(true);
  $("#server-name").textContent = welcome.server || "";
  $("#role").textContent = welcome.role ? `as ${welcome.role}` : "";
  if (everConnected) logs.note("reconnected to the sequencer server");
  everConnected = true;
  if (!replayed) refreshOtto();
});
link.addEventListener("refused", ({ detail: { reason } }) => {
  setConnected(false);
  sayState("Not signed in");
  askToSignIn(reason);
});
link.addEventListener("lost", ({ detail: { first } }) => {
  setConnected(false);
  if (everConnected && first) logs.note("connection to the sequencer server lost");
});
link.addEventListener("sent", ({ detail }) => console_.sent(detail.line));
link.addEventListener("received", ({ detail }) => console_.received(detail.line, detail.reply));

// --- what the server tells -----------------------------------------------------

const EVENT_HANDLERS = {
  error: (event) => replayed || errorDialog.show(event),
  run: (event) => {
    if (event.status === "started" || event.status === "running") errorDialog.close();
  },
};

/** A dialog waits for an answer while the snapshot lists it: ask the first one. */
function showDialogs(dialogs) {
  if (replayed) return;
  if (dialogs.length) prompt.show(dialogs[0]);
  else prompt.close();
}

link.addEventListener("batch", ({ detail: batch }) => {
  serverClock.lastTs = batch.lastTs;
  if (Number.isFinite(batch.skew)) serverClock.skew = batch.skew;
  if (batch.tree) {
    outline.replace(batch.tree);
    tree.treeReplaced();
    timeline.treeReplaced();
  } else {
    outline.applyStates(batch.states);
  }
  queue.update({ treeChanged: Boolean(batch.tree), held: batch.held });
  outline.applyTimes(batch.times);
  outline.setErrors(batch.errors);
  logs.add(batch.logs);
  for (const event of batch.events) EVENT_HANDLERS[event.kind]?.(event);
  page.status = batch.status;
  showStatus();
  showDialogs(batch.dialogs);
  if (batch.latestRunning !== null) outline.latestRunning = outline.rowOfSn(batch.latestRunning);
  timeline.live = !replayed && (batch.status === "running" || batch.status === "paused");
  if (followRun.checked && batch.latestRunning !== null && !replayed) currentView().follow(outline.latestRunning);
  repaintLive(tree);
  repaintLive(timeline);
  if (batch.tree && !replayed && !$("#tab-variables").hidden) refreshVariables();
});

// --- the tree and the timeline ---------------------------------------------------

const VIEWS = { tree, timeline };
const followRun = $("#follow-run");
followRun.checked = localStorage.getItem("seq.followRun") !== "";
followRun.addEventListener("change", () => {
  localStorage.setItem("seq.followRun", followRun.checked ? "1" : "");
  if (followRun.checked) currentView().follow(outline.latestRunning);
});

function currentView() {
  return $("#timeline-pane").hidden ? tree : timeline;
}

/** Show the tree or the timeline, at the rows the other one showed. */
function showView(name) {
  const view = VIEWS[name];
  const before = currentView();
  for (const button of $$("[data-view]")) button.setAttribute("aria-selected", String(button.dataset.view === name));
  $("#tree-pane").hidden = name !== "tree";
  $("#timeline-pane").hidden = name !== "timeline";
  $("#timeline-zoom").hidden = name !== "timeline";
  $("#timeline-tip").hidden = true;
  if (view !== before) view.showSameRowsAs(before);
  if (followRun.checked && page.status === "running") view.follow(outline.latestRunning);
}
for (const button of $$("[data-view]")) {
  button.addEventListener("click", () => {
    showView(button.dataset.view);
    currentView().scroller.focus({ preventScroll: true }); // the keys move in the view shown
  });
}

const ZOOMS = { in: () => timeline.zoom(0.5), out: () => timeline.zoom(2), fit: () => timeline.fit() };
for (const button of $$("[data-zoom]")) button.addEventListener("click", () => ZOOMS[button.dataset.zoom]());

// --- toolbar ---------------------------------------------------------------

function selectedNodeOrComplain() {
  const node = outline.node(outline.selectedRow);
  if (!node) showReply("", { ok: false, error: "select a node in the tree first" });
  return node;
}

const TOOLBAR = {
  run: () => send("run"),
  abort: () => send("abort"),
  reset: () => send("reset"),
  // Continue resumes what waits: a node paused on its flag, else an aborted or failed run.
  continue: () => {
    const paused = outline.pausedNodes();
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

for (const button of $$("[data-command]")) {
  button.addEventListener("click", () => TOOLBAR[button.dataset.command]());
}

// Keyboard shortcuts of the toolbar (data-shortcut="Alt+R"), told in each button's tooltip.
const SHORTCUTS = new Map();
for (const button of $$("[data-shortcut]")) {
  const shortcut = button.dataset.shortcut;
  SHORTCUTS.set(`Key${shortcut.split("+").pop()}`, button);
  button.title += ` (${shortcut})`;
  button.setAttribute("aria-keyshortcuts", shortcut);
}
document.addEventListener("keydown", (e) => {
  if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
  const button = SHORTCUTS.get(e.code);
  if (!button || button.disabled || document.querySelector("dialog[open]")) return;
  e.preventDefault();
  button.click();
});

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

// The right-click menu of the tree and the timeline: Pause/UnPause and Skip/UnSkip of the node clicked.
const nodeMenu = $("#node-menu");
const openNodeMenu = ({ detail: { node, x, y } }) => {
  if (replayed) return;
  for (const item of nodeMenu.querySelectorAll("[data-flag]")) {
    const flag = item.dataset.flag.toUpperCase();
    const word = item.dataset.flag === "pause" ? "Pause" : "Skip";
    item.textContent = (node.flags || []).includes(flag) ? `Un${word}` : word;
  }
  nodeMenu.style.left = `${x}px`;
  nodeMenu.style.top = `${y}px`;
  nodeMenu.hidden = false;
};
tree.addEventListener("node-menu", openNodeMenu);
timeline.addEventListener("node-menu", openNodeMenu);
for (const item of nodeMenu.querySelectorAll("[data-flag]")) {
  item.addEventListener("click", () => {
    nodeMenu.hidden = true;
    toggleFlag(outline.node(outline.selectedRow), item.dataset.flag.toUpperCase());
  });
}

// --- tabs ------------------------------------------------------------------

function showTab(name) {
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== `tab-${name}`;
  if (name === "variables") refreshVariables();
  if (name === "queue") queue.refresh();
}
for (const button of document.querySelectorAll("[data-tab]")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}

// --- OB variables ----------------------------------------------------------

// Asked when the tab shows, and again at each tree event while it shows (a page that does not show
// them asks nothing: with 1000 OBs a listing is some 10,000 rows); while one `lsvar` is on its way,
// the next waits for it (one at most).
const variablesAsked = { inFlight: false, again: false };

async function refreshVariables() {
  if (!link.connected) return;
  if (variablesAsked.inFlight) {
    variablesAsked.again = true;
    return;
  }
  variablesAsked.inFlight = true;
  const reply = await link.command("lsvar").catch(() => null);
  variablesAsked.inFlight = false;
  if (reply && reply.ok) variables.show(groupVariables(reply.data || []));
  if (variablesAsked.again) {
    variablesAsked.again = false;
    refreshVariables();
  }
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
  const reply = await link.command("otto").catch(() => null);
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
  link.open(serverUrl(location));
});

async function start() {
  setConnected(false);
  $("#banner").hidden = true;
  sayState("Connecting…");
  if (replayed) {
    document.body.classList.add("replay");
    showView("timeline");
  }
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) {
    history.replaceState(null, "", location.pathname + location.search);
    const problem = await signIn(token);
    if (problem) logs.note(`sign-in with the address's token failed: ${problem}`);
  }
  link.open(serverUrl(location));
}

start();
