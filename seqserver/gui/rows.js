// The tree as rows: what the tree and the timeline draw, one row per node in
// the order the tree shows them (parents first, containers' begin and end
// nodes left out). The link's worker flattens each snapshot into columns
// (typed arrays and arrays of strings, which cross to the page at a small
// fraction of the cost of as many objects); the page keeps them in an Outline,
// which also holds what the operator chose to see: collapsed rows and the
// selection, remembered by a key that survives a resynchronisation.

export const FLAG_BITS = { PAUSE: 1, SKIP: 2 };

/** The runtime flags of a node as bits (FLAG_BITS), and back. */
export function flagBits(flags) {
  let bits = 0;
  for (const flag of flags || []) bits |= FLAG_BITS[flag] ?? 0;
  return bits;
}

export function flagNames(bits) {
  return Object.keys(FLAG_BITS).filter((flag) => bits & FLAG_BITS[flag]);
}

/** A container's children without its begin and end nodes (internal to the engine). */
function shownChildren(node) {
  const children = node.children || [];
  const first = children[0];
  const last = children[children.length - 1];
  const isEndpoint = (child, name) => child && child.type === "A" && child.name === name && !child.children?.length;
  return children.slice(isEndpoint(first, "begin") ? 1 : 0, isEndpoint(last, "end") && children.length > 1 ? -1 : undefined);
}

/**
 * The scripts of a snapshot as columns, row i being the i-th node in tree order.
 * `key` names a node by the names on its path (with the rank among same-named
 * siblings), so that the same node of a reloaded tree has the same key.
 */
export function flatten(scripts) {
  const order = [];
  const visit = (node, parent, depth, key) => {
    order.push({ node, parent, depth, key });
    const row = order.length - 1;
    const seen = new Map();
    for (const child of shownChildren(node)) {
      const rank = seen.get(child.name) ?? 0;
      seen.set(child.name, rank + 1);
      visit(child, row, depth + 1, `${key}/${child.name}${rank ? `#${rank}` : ""}`);
    }
  };
  const seen = new Map();
  for (const script of scripts || []) {
    const rank = seen.get(script.name) ?? 0;
    seen.set(script.name, rank + 1);
    visit(script, -1, 0, `${script.name}${rank ? `#${rank}` : ""}`);
  }
  const count = order.length;
  const columns = {
    count,
    sn: new Int32Array(count),
    parent: new Int32Array(count),
    depth: new Uint16Array(count),
    branch: new Uint8Array(count), // 1 when the row has rows below it
    flags: new Uint8Array(count),
    type: new Array(count),
    name: new Array(count),
    description: new Array(count),
    state: new Array(count),
    key: new Array(count),
  };
  order.forEach(({ node, parent, depth, key }, i) => {
    columns.sn[i] = node.sn;
    columns.parent[i] = parent;
    columns.depth[i] = depth;
    columns.flags[i] = flagBits(node.flags);
    columns.type[i] = node.type;
    columns.name[i] = node.name;
    columns.description[i] = node.description || "";
    columns.state[i] = node.state || "NOT_STARTED";
    columns.key[i] = key;
    if (parent >= 0) columns.branch[parent] = 1;
  });
  return columns;
}

/** The typed arrays of a batch, to hand over rather than copy. */
export function transferables(columns) {
  return Object.values(columns).filter((value) => ArrayBuffer.isView(value)).map((view) => view.buffer);
}

/**
 * The rows on the page: the columns of the last snapshot, kept current by state
 * changes, with the operator's view of them (collapsed rows, the selection) and
 * each node's times in the run (start and end, NaN when it has none).
 */
export class Outline extends EventTarget {
  constructor() {
    super();
    this.collapsed = new Set(); // keys of collapsed rows: remembered across resynchronisations
    this.selectedKey = null;
    this.latestRunning = -1; // row of the node that started running last
    this.errors = new Map(); // sn -> exception text of a failed node
    this.replace(flatten([]));
  }

  replace(columns) {
    this.rows = columns;
    this.count = columns.count;
    this.start = new Float64Array(this.count).fill(NaN);
    this.end = new Float64Array(this.count).fill(NaN);
    this.approximate = new Uint8Array(this.count); // 1: the times fill a gap in the events received
    let largest = 0;
    for (let i = 0; i < this.count; i++) largest = Math.max(largest, columns.sn[i]);
    this.rowBySn = new Int32Array(largest + 1).fill(-1);
    columns.sn.forEach((sn, i) => (this.rowBySn[sn] = i));
    this.rowByKey = null; // made when first asked
    this.latestRunning = -1;
    this.refreshShown();
  }

  /** The row of the node with serial number `sn`, or -1 when the rows do not show it. */
  rowOfSn(sn) {
    return sn >= 0 && sn < this.rowBySn.length ? this.rowBySn[sn] : -1;
  }

  /** The row of the node with this key, or -1. */
  rowOfKey(key) {
    if (!this.rowByKey) this.rowByKey = new Map(this.rows.key.map((k, row) => [k, row]));
    return this.rowByKey.get(key) ?? -1;
  }

  /** Folded state changes: parallel arrays of serial numbers, states and flag bits. */
  applyStates({ sn, state, flags }) {
    for (let k = 0; k < sn.length; k++) {
      const row = this.rowOfSn(sn[k]);
      if (row < 0) continue;
      this.rows.state[row] = state[k];
      this.rows.flags[row] = flags[k];
    }
  }

  /** Times of nodes in the run: parallel arrays of serial numbers, starts and ends (seconds, NaN: none). */
  applyTimes({ sn, start, end, approximate }) {
    for (let k = 0; k < sn.length; k++) {
      const row = this.rowOfSn(sn[k]);
      if (row < 0) continue;
      this.start[row] = start[k];
      this.end[row] = end[k];
      this.approximate[row] = approximate[k];
    }
  }

  setErrors(errors) {
    for (const [sn, text] of errors) {
      if (text === null) this.errors.delete(sn);
      else this.errors.set(sn, text);
    }
  }

  // --- what shows -----------------------------------------------------------

  /** Recompute the rows shown: every row whose containers are all expanded. */
  refreshShown() {
    const shown = new Int32Array(this.count);
    const hidden = new Uint8Array(this.count); // 1 when a container above is collapsed
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const parent = this.rows.parent[i];
      if (parent >= 0 && (hidden[parent] || this.collapsed.has(this.rows.key[parent]))) {
        hidden[i] = 1;
        continue;
      }
      shown[n++] = i;
    }
    this.shown = shown.subarray(0, n);
    this.positionOf = null; // row -> position among the shown, computed when asked
    this.dispatchEvent(new Event("shown"));
  }

  /** The position of a row among the rows shown, or -1 when it is hidden. */
  position(row) {
    if (!this.positionOf) {
      this.positionOf = new Int32Array(this.count).fill(-1);
      this.shown.forEach((r, position) => (this.positionOf[r] = position));
    }
    return row >= 0 && row < this.count ? this.positionOf[row] : -1;
  }

  isExpanded(row) {
    return this.rows.branch[row] === 1 && !this.collapsed.has(this.rows.key[row]);
  }

  setExpanded(row, expanded) {
    if (!this.rows.branch[row] || this.isExpanded(row) === expanded) return;
    if (expanded) this.collapsed.delete(this.rows.key[row]);
    else this.collapsed.add(this.rows.key[row]);
    this.refreshShown();
  }

  /** Expand the containers above a row so that it shows. */
  reveal(row) {
    let changed = false;
    for (let parent = this.rows.parent[row]; parent >= 0; parent = this.rows.parent[parent]) {
      changed = this.collapsed.delete(this.rows.key[parent]) || changed;
    }
    if (changed) this.refreshShown();
  }

  // --- the selection ----------------------------------------------------------

  get selectedRow() {
    return this.selectedKey === null ? -1 : this.rowOfKey(this.selectedKey);
  }

  select(row) {
    this.selectedKey = row >= 0 ? this.rows.key[row] : null;
    this.dispatchEvent(new Event("selection"));
  }

  /** A row as a node: what the toolbar's actions and the context menu need. */
  node(row) {
    if (row < 0 || row >= this.count) return null;
    return {
      sn: this.rows.sn[row],
      name: this.rows.name[row],
      type: this.rows.type[row],
      state: this.rows.state[row],
      flags: flagNames(this.rows.flags[row]),
    };
  }

  /** The nodes waiting on their PAUSE flag now. */
  pausedNodes() {
    const paused = [];
    for (let i = 0; i < this.count; i++) {
      if (this.rows.state[i].startsWith("PAUSED")) paused.push(this.node(i));
    }
    return paused;
  }
}
