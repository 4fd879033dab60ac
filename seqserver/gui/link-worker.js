// The page's link to seqserver, in a worker, so that the page never waits on it.
// Here every message of the seq protocol is decoded, every event applied to the
// picture of the server (Snapshot) and to the times of the run (RunTimes), and
// the page is sent what changed, at most once a frame, in one message: the whole
// tree as columns after a tree event, else the last state of each node that
// changed (a node's changes between two frames fold into one), the new log lines
// (no more than the page keeps), and the events it acts on (run, error, dialog).
// Replies go to the page at once, after the events that came before them.
//
// The websocket asks for the `seq.batched` subprotocol: the server then sends each
// batch of messages back to back in one binary frame. A browser pays dearly for
// every frame: a run of 10,000 steps in frames of one message each kept a page
// seconds behind. A server that does not offer it sends one message per frame,
// which reads the same.
import { Decoder, encode } from "./vendor/msgpack/index.mjs";
import { Snapshot } from "./snapshot.js";
import { RunTimes } from "./runtimes.js";
import { flagBits, flatten, transferables } from "./rows.js";
import { LogColumns, MAX_LOG_LINES } from "./logs.js";

const PROTOCOL_VERSION = 1;
const BATCHED = "seq.batched";
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 3000];
const FRAME_MS = 16; // at most one batch per frame of a 60 Hz display

const snapshot = new Snapshot();
const times = new RunTimes();
const decoder = new Decoder();

/** What changed since the last batch sent to the page. */
class Pending {
  constructor() {
    this.clear();
    this.timer = null;
    this.sentAt = 0;
  }

  clear() {
    this.replaced = false; // a tree event came: the page gets the whole tree
    this.states = new Map(); // sn -> [state, flags], the latest of each node
    this.logs = new LogColumns();
    this.events = [];
    this.latestRunning = null; // the node that started running (or waiting on its PAUSE flag) last
  }

  /** A log record, an output piece or a notice, as a log line. */
  log(event) {
    if (event.kind === "output") this.logs.push(event.stream, event.ts, event.stream, event.text);
    else this.logs.push(event.level, event.ts, event.logger ?? "seqserver", event.message);
    if (this.logs.length >= 2 * MAX_LOG_LINES) this.logs.keepLast(MAX_LOG_LINES); // more than the page keeps
  }

  schedule() {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.sentAt + FRAME_MS - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Send the page what changed, in one message. */
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    this.sentAt = performance.now();
    const batch = {
      type: "batch",
      status: snapshot.status,
      dialogs: snapshot.dialogs,
      events: this.events,
      logs: this.logs.keepLast(MAX_LOG_LINES).columns(),
      latestRunning: this.latestRunning,
      lastTs: clock.lastTs,
      skew: clock.skew,
    };
    const handed = [];
    if (this.replaced) {
      batch.tree = flatten(snapshot.tree.scripts);
      handed.push(...transferables(batch.tree));
      batch.latestRunning ??= lastRunning(batch.tree);
    } else {
      const sns = [...this.states.keys()];
      batch.states = {
        sn: Int32Array.from(sns),
        state: sns.map((sn) => this.states.get(sn)[0]),
        flags: Uint8Array.from(sns, (sn) => this.states.get(sn)[1]),
      };
      handed.push(batch.states.sn.buffer, batch.states.flags.buffer);
    }
    Object.assign(batch, times.takeChanges(this.replaced));
    handed.push(...transferables(batch.times), ...transferables(batch.logs));
    this.clear();
    postMessage(batch, handed);
  }
}

const pending = new Pending();

/** After a resynchronisation: the node running (or paused) that comes last in the tree, or null. */
function lastRunning(rows) {
  for (let row = rows.count - 1; row >= 0; row--) {
    if (/^(RUNNING|PAUSED)/.test(rows.state[row])) return rows.sn[row];
  }
  return null;
}

/** The server's clock as seen from here: the latest event time, and how far this clock is ahead. */
const clock = {
  lastTs: 0,
  skew: Infinity, // the least (arrival - event time) seen: the clocks' difference plus the shortest delay
  see(ts) {
    if (typeof ts !== "number") return;
    this.lastTs = Math.max(this.lastTs, ts);
    this.skew = Math.min(this.skew, Date.now() / 1000 - ts);
  },
};

function takeEvent(event) {
  const before = clock.lastTs; // the last moment this page heard of
  clock.see(event.ts);
  times.apply(event, snapshot.status);
  const node = snapshot.apply(event);
  switch (event.kind) {
    case "state":
      if (node) pending.states.set(event.sn, [event.state, flagBits(event.flags)]);
      if (event.state === "RUNNING" || event.state === "PAUSED") pending.latestRunning = event.sn;
      break;
    case "tree":
      times.retain(snapshot.tree, event.ts, event.action === "restored" && before ? before : null);
      pending.replaced = true;
      pending.states.clear();
      pending.events.push({ kind: "tree", action: event.action, ts: event.ts });
      break;
    case "log":
    case "output":
    case "notice":
      pending.log(event);
      break;
    default:
      pending.events.push(event);
  }
  pending.schedule();
}

function welcome(message) {
  clock.skew = Infinity;
  snapshot.replace(message.snapshot || {});
  times.retain(snapshot.tree, Date.now() / 1000, clock.lastTs || null); // a reconnection: what happened meanwhile
  pending.clear();
  pending.replaced = true;
  postMessage({ type: "welcome", server: message.server, role: message.role });
  pending.flush();
}

// --- the live link ------------------------------------------------------------

const link = {
  url: null,
  socket: null,
  connected: false,
  refusal: null, // why the server refused this page (then it does not reconnect by itself)
  attempt: 0,
  requests: new Set(), // ids of the commands sent and not answered yet (the page's own ids)

  open(url) {
    this.url = url;
    const socket = new WebSocket(url, [BATCHED]);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.refusal = null;
    socket.onopen = () => this.send({ type: "hello", version: PROTOCOL_VERSION, client: "seq web gui" });
    socket.onmessage = (frame) => this.receive(frame.data);
    socket.onclose = () => this.lost(socket);
  },

  send(message) {
    this.socket.send(encode(message));
  },

  receive(data) {
    if (typeof data === "string") return;
    for (const message of decoder.decodeMulti(new Uint8Array(data))) this.take(message);
  },

  take(message) {
    switch (message.type) {
      case "welcome":
        this.connected = true;
        this.attempt = 0;
        welcome(message);
        break;
      case "event":
        takeEvent(message);
        break;
      case "reply":
        this.requests.delete(message.id);
        if (pending.timer !== null) pending.flush(); // the events before a reply reach the page before it
        postMessage({ type: "reply", request: message.id, reply: message });
        break;
      case "error":
        if (message.fatal && !this.connected) this.refusal = message.error;
        postMessage({ type: "protocol-error", error: message.error });
        break;
    }
  },

  command(id, line) {
    this.requests.add(id);
    this.send({ type: "cmd", id, line });
  },

  lost(socket) {
    if (socket !== this.socket) return;
    const wasConnected = this.connected;
    this.connected = false;
    const unanswered = [...this.requests];
    this.requests.clear();
    if (this.refusal !== null) {
      postMessage({ type: "refused", reason: this.refusal, unanswered });
      return; // asking again would be refused again: the page signs in, then opens anew
    }
    postMessage({ type: "lost", first: wasConnected || this.attempt === 0, unanswered });
    const delay = RETRY_DELAYS_MS[Math.min(this.attempt, RETRY_DELAYS_MS.length - 1)];
    this.attempt += 1;
    setTimeout(() => this.open(this.url), delay);
  },
};

onmessage = ({ data }) => {
  switch (data.type) {
    case "open":
      link.open(data.url);
      break;
    case "cmd":
      if (link.connected) link.command(data.request, data.line);
      else postMessage({ type: "reply", request: data.request, reply: null });
      break;
  }
};
