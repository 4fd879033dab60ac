// The page's side of its link to seqserver. The link itself runs in a worker
// (link-worker.js), which decodes everything the server sends and hands the
// page one batch of changes per frame; this object sends command lines through
// it and resolves each with its reply. The page never holds the access token:
// it signs in once (signIn), and the server then knows the websocket by the
// cookie it was given, which scripts cannot read.

export class Link extends EventTarget {
  constructor() {
    super();
    this.worker = new Worker(new URL("./link-worker.js", import.meta.url), { type: "module" });
    this.worker.onmessage = ({ data }) => this.receive(data);
    this.connected = false;
    this.nextRequest = 1;
    this.pending = new Map(); // request -> {resolve, reject, line}
  }

  /** Connect to the server at `url` (a websocket URL); the link reconnects by itself. */
  open(url) {
    this.worker.postMessage({ type: "open", url });
  }

  receive(message) {
    switch (message.type) {
      case "welcome":
        this.connected = true;
        this.emit("welcome", message);
        break;
      case "batch":
        this.emit("batch", message);
        break;
      case "reply":
        this.answer(message.request, message.reply);
        break;
      case "lost":
      case "refused":
        this.connected = false;
        for (const request of message.unanswered) this.answer(request, null);
        this.emit(message.type, message);
        break;
      default:
        this.emit(message.type, message);
    }
  }

  answer(request, reply) {
    const waiting = this.pending.get(request);
    if (!waiting) return;
    this.pending.delete(request);
    if (reply) {
      waiting.resolve(reply);
      this.emit("received", { line: waiting.line, reply });
    } else {
      waiting.reject(new Error(`connection lost before the reply to: ${waiting.line}`));
    }
  }

  /** Send one command line; resolves with its reply ({ok, output, error, data}). */
  command(line) {
    if (!this.connected) return Promise.reject(new Error("not connected to the sequencer server"));
    const request = this.nextRequest++;
    const reply = new Promise((resolve, reject) => this.pending.set(request, { resolve, reject, line }));
    this.worker.postMessage({ type: "cmd", request, line });
    this.emit("sent", { line });
    return reply;
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
