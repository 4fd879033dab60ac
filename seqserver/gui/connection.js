// The page's link to seqserver: the seq protocol over a websocket, one msgpack
// map per binary frame. It says hello, matches replies to commands by id, hands
// events on, and reconnects by itself after the server went away; each
// (re)connection starts from the welcome's snapshot. The page never holds the
// access token: it signs in once (signIn), and the server then knows the
// websocket by the cookie it was given, which scripts cannot read.
import { encode, decode } from "./vendor/msgpack/index.mjs";

const PROTOCOL_VERSION = 1;
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 3000];

export class Connection extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.connected = false;
    this.refusal = null; // why the server refused this page (then it does not reconnect by itself)
    this.nextId = 1;
    this.pending = new Map(); // command id -> {resolve, reject, line}
    this.attempt = 0;
    this.socket = null;
  }

  open() {
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.refusal = null;
    socket.onopen = () => this.send({ type: "hello", version: PROTOCOL_VERSION, client: "seq web gui" });
    socket.onmessage = (frame) => this.receive(frame.data);
    socket.onclose = () => this.lost(socket);
  }

  send(message) {
    this.socket.send(encode(message));
  }

  receive(data) {
    if (typeof data === "string") return;
    const message = decode(new Uint8Array(data));
    switch (message.type) {
      case "welcome":
        this.connected = true;
        this.attempt = 0;
        this.emit("welcome", message);
        break;
      case "reply": {
        const waiting = this.pending.get(message.id);
        if (waiting) {
          this.pending.delete(message.id);
          waiting.resolve(message);
        }
        break;
      }
      case "event":
        this.emit("event", message);
        break;
      case "error":
        if (message.fatal && !this.connected) this.refusal = message.error;
        this.emit("protocol-error", message);
        break;
    }
  }

  /** Send one command line; resolves with its reply ({ok, output, error, data}). */
  command(line) {
    if (!this.connected) return Promise.reject(new Error("not connected to the sequencer server"));
    const id = this.nextId++;
    const reply = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, line }));
    this.send({ type: "cmd", id, line });
    this.emit("sent", { id, line });
    reply.then((message) => this.emit("received", { line, reply: message }), () => {});
    return reply;
  }

  lost(socket) {
    if (socket !== this.socket) return;
    const wasConnected = this.connected;
    this.connected = false;
    for (const { reject, line } of this.pending.values()) {
      reject(new Error(`connection lost before the reply to: ${line}`));
    }
    this.pending.clear();
    if (this.refusal !== null) {
      this.emit("refused", { reason: this.refusal });
      return; // asking again would be refused again: the page signs in, then opens anew
    }
    if (wasConnected || this.attempt === 0) this.emit("lost", {});
    const delay = RETRY_DELAYS_MS[Math.min(this.attempt, RETRY_DELAYS_MS.length - 1)];
    this.attempt += 1;
    setTimeout(() => this.open(), delay);
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}

/** The websocket URL of the server that served this page. */
export function serverUrl(location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/** Trade the access token for the server's sign-in cookie; resolves with an error text, or null when signed in. */
export async function signIn(token) {
  try {
    const response = await fetch("signin", {
      method: "POST",
      body: new URLSearchParams({ token }),
      credentials: "same-origin",
    });
    return response.ok ? null : (await response.text()).trim() || `refused (${response.status})`;
  } catch (error) {
    return `cannot reach the server: ${error.message}`;
  }
}
