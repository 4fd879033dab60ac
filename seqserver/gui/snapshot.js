// The page's picture of the server: the loaded tree with its states, the run's
// status and the dialogs waiting for an answer, kept current by events with the
// same rules as the server's own snapshot (the protocol's section 4), so that
// after any event the page shows what a client joining now would be told.
//
// - `state`: the node with that `sn` takes the event's state and flags;
// - `tree`: the event's snapshot replaces everything (a script loaded, a reset,
//   everything cleared, or `restored`: a resynchronisation after this client
//   fell behind, or after the chain restarted);
// - `run`: the status; a run that ended (finished, error, aborted) leaves no
//   dialog waiting;
// - `dialog`: a request adds a waiting dialog, a resolution removes it.
// Other kinds change nothing here.

const EMPTY = Object.freeze({ status: "idle", modules: [], obs: [], scripts: [], dialogs: [] });

// A run event's status in the snapshot's words: the protocol's `run` event said
// `started` where the snapshot says `running`; both are accepted.
const STATUS_OF_RUN = { started: "running" };
const RUN_ENDED = new Set(["finished", "error", "aborted"]);

/** The snapshot's status for a `run` event's status. */
function runStatus(status) {
  return STATUS_OF_RUN[status] ?? status;
}

/** Every node below `nodes`, parents before their children. */
export function* walk(nodes) {
  for (const node of nodes || []) {
    yield node;
    yield* walk(node.children);
  }
}

export class Snapshot {
  constructor(snapshot = EMPTY) {
    this.replace(snapshot);
  }

  /** Start from `snapshot`, which this object now owns and updates. */
  replace(snapshot) {
    this.tree = { ...EMPTY, ...snapshot };
    this.bySn = new Map();
    for (const node of walk([...(this.tree.root ? [this.tree.root] : []), ...this.tree.scripts])) {
      this.bySn.set(node.sn, node);
    }
  }

  /** Bring the picture up to date with one event; returns the node a `state` event changed (or null). */
  apply(event) {
    switch (event.kind) {
      case "state": {
        const node = this.bySn.get(event.sn);
        if (node) {
          node.state = event.state;
          node.flags = event.flags || [];
        }
        return node ?? null;
      }
      case "tree":
        this.replace(event.snapshot || EMPTY);
        break;
      case "run":
        this.tree.status = runStatus(event.status);
        if (RUN_ENDED.has(this.tree.status)) this.tree.dialogs = [];
        break;
      case "dialog": {
        const waiting = (this.tree.dialogs || []).filter((dialog) => dialog.sn !== event.sn);
        if (event.action === "request") {
          const { type, kind, action, ...request } = event;
          waiting.push(request);
        }
        this.tree.dialogs = waiting;
        break;
      }
    }
    return null;
  }

  get status() {
    return this.tree.status;
  }

  get dialogs() {
    return this.tree.dialogs || [];
  }
}
