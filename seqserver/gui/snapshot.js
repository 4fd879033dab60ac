// The page's picture of the server: the loaded tree with its states, the run's
// status and the dialogs waiting for an answer, kept current by events with the
// same rules as the server's own snapshot (the protocol's section 4), so that
// after any event the page shows what a client joining now would be told.
//
// - `state`: the node with that `sn` takes the event's state and flags;
// - `tree` with a snapshot: it replaces everything (a script loaded, a reset,
//   everything cleared, or `restored`: a resynchronisation after this client
//   fell behind, or after the chain restarted); an edit of the queue (`inserted`,
//   `moved`, `removed`, `replaced`) changes only the nodes it names, `modules`
//   becomes the event's (a move has none) and `obs` lists the OBs in the order
//   of the scripts;
//   `held` sets whether the queue is held;
// - `run`: the status; a run that ended (finished, error, aborted) leaves no
//   dialog waiting;
// - `dialog`: a request adds a waiting dialog, a resolution removes it.
// Other kinds change nothing here.

const EMPTY = Object.freeze({ status: "idle", modules: [], obs: [], scripts: [], dialogs: [], held: false });

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
    this.listOf = new Map(); // sn -> the array that holds the node
    if (this.tree.root) {
      this.bySn.set(this.tree.root.sn, this.tree.root);
      this.index(this.tree.root.children || []);
    }
    this.index(this.tree.scripts);
  }

  /** Find `nodes` and every node below them by serial number; `siblings` is the array that holds them. */
  index(nodes, siblings = nodes) {
    for (const node of nodes) {
      this.bySn.set(node.sn, node);
      this.listOf.set(node.sn, siblings);
      const children = node.children || (node.children = []);
      this.index(children);
    }
  }

  unindex(node) {
    for (const below of walk([node])) {
      this.bySn.delete(below.sn);
      this.listOf.delete(below.sn);
    }
  }

  /** An edit of the queue (the protocol's section 5): only the nodes it names change. */
  edit(event) {
    if (event.action === "held") {
      this.tree.held = event.held;
      return;
    }
    const take = (sn) => {
      const siblings = this.listOf.get(sn);
      const at = siblings.indexOf(this.bySn.get(sn));
      siblings.splice(at, 1);
      return { siblings, at };
    };
    if (event.action === "moved") {
      const node = this.bySn.get(event.sn);
      take(event.sn).siblings.splice(event.index, 0, node);
    } else if (event.action === "inserted") {
      const root = this.tree.root;
      const siblings = root && root.sn === event.parent ? this.tree.scripts : this.bySn.get(event.parent).children;
      siblings.splice(event.index, 0, ...event.nodes);
      this.index(event.nodes, siblings);
    } else if (event.action === "removed") {
      for (const sn of event.sns) {
        const node = this.bySn.get(sn);
        take(sn);
        this.unindex(node);
      }
    } else if (event.action === "replaced") {
      const old = this.bySn.get(event.sn);
      const { siblings, at } = take(event.sn);
      siblings.splice(at, 0, event.nodes[0]);
      this.unindex(old);
      this.index(event.nodes, siblings);
    }
    if (event.modules) this.tree.modules = event.modules; // (a move changes no module)
    const known = new Map(this.tree.obs.map((ob) => [ob.sn, ob]));
    for (const ob of event.obs) known.set(ob.sn, { ...ob });
    // The entries are this object's own (from the snapshot or an event): renumbered in place.
    this.tree.obs = this.tree.scripts.filter((node) => known.has(node.sn)).map((node, index) => {
      const ob = known.get(node.sn);
      ob.index = index;
      return ob;
    });
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
        if (event.snapshot) this.replace(event.snapshot);
        else this.edit(event);
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
