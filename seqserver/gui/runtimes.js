// When each node of the run started and ended, for the timeline, from every
// state event (before any folding, so that none is missed):
// - a node starts when it first runs or waits on its PAUSE flag, and ends when
//   it reaches a final state (finished, skipped, failed or cancelled); a node
//   that reached it without starting (skipped) starts and ends at that moment,
//   one cancelled before it started has no times;
// - a node scheduled again between runs (a new run, a retry, a continue) starts
//   afresh; scheduled again during a run (a loop's next turn) it keeps its start;
// - a reset, or a tree in which the node has not started, forgets its times;
// - after a resynchronisation (this client fell behind and some events never
//   came), a node that started or ended unseen is given the whole gap, from the
//   last event received before it to the resynchronisation, and marked as
//   approximate.
// A failed node's exception is kept for the timeline's tooltip.
import { walk } from "./snapshot.js";

const FINAL = new Set(["FINISHED", "CANCELLED"]);
const STARTED = new Set(["RUNNING", "PAUSED"]);
const IN_PROGRESS = new Set(["running", "paused"]);

const mainState = (state) => (state || "NOT_STARTED").split("|")[0];

export class RunTimes {
  constructor() {
    this.start = new Map(); // sn -> seconds
    this.end = new Map();
    this.approximate = new Set(); // sns whose times fill a gap in the events received
    this.errors = new Map(); // sn -> exception text
    this.changed = new Set(); // sns whose times changed since takeChanges()
    this.changedErrors = new Set();
  }

  /** Take one event into account; `status` is the run's status before it (the snapshot's). */
  apply(event, status) {
    if (event.kind === "state") this.applyState(event.sn, mainState(event.state), event.ts, status);
    else if (event.kind === "error" && event.sn != null) this.setError(event.sn, event.exception);
  }

  applyState(sn, state, ts, status) {
    if (state === "NOT_STARTED" || (state === "SCHEDULED" && !IN_PROGRESS.has(status))) {
      this.forget(sn);
    } else if (state === "SCHEDULED" || STARTED.has(state)) {
      if (!this.start.has(sn) && state !== "SCHEDULED") this.set(sn, ts, NaN);
      else if (this.end.has(sn)) this.set(sn, this.start.get(sn), NaN);
    } else if (FINAL.has(state)) {
      const start = this.start.get(sn);
      if (start !== undefined) this.set(sn, start, ts);
      else if (state === "FINISHED") this.set(sn, ts, ts);
    }
  }

  /**
   * After a tree replaced the snapshot (at `ts`): forget the nodes that are gone
   * or have not started. When events were missed since `gapStart` (a
   * resynchronisation), what the nodes did unseen in the gap is filled in,
   * approximately.
   */
  retain(snapshot, ts, gapStart = null) {
    const present = new Map();
    for (const node of walk([...(snapshot.root ? [snapshot.root] : []), ...(snapshot.scripts || [])])) {
      present.set(node.sn, mainState(node.state));
    }
    for (const sn of new Set([...this.start.keys(), ...this.errors.keys()])) {
      const state = present.get(sn);
      if (state === undefined || state === "NOT_STARTED" || state === "SCHEDULED") this.forget(sn);
    }
    if (gapStart === null) return;
    for (const [sn, state] of present) {
      const start = this.start.get(sn);
      const ended = FINAL.has(state) && !this.end.has(sn);
      if ((ended || STARTED.has(state)) && start === undefined) this.set(sn, gapStart, ended ? ts : NaN, true);
      else if (ended) this.set(sn, start, ts, true);
    }
  }

  set(sn, start, end, approximate = false) {
    if (approximate) this.approximate.add(sn);
    else if (!this.end.has(sn) || Number.isNaN(end)) this.approximate.delete(sn);
    this.start.set(sn, start);
    if (Number.isNaN(end)) this.end.delete(sn);
    else this.end.set(sn, end);
    this.changed.add(sn);
  }

  setError(sn, text) {
    this.errors.set(sn, text);
    this.changedErrors.add(sn);
  }

  forget(sn) {
    this.approximate.delete(sn);
    if (this.start.delete(sn) | this.end.delete(sn)) this.changed.add(sn);
    if (this.errors.delete(sn)) this.changedErrors.add(sn);
  }

  /** The times of `sns` as parallel arrays (NaN where a node has none; approximate: 1 where they fill a gap). */
  times(sns) {
    const list = [...sns];
    const start = new Float64Array(list.length);
    const end = new Float64Array(list.length);
    const approximate = new Uint8Array(list.length);
    list.forEach((sn, k) => {
      start[k] = this.start.get(sn) ?? NaN;
      end[k] = this.end.get(sn) ?? NaN;
      approximate[k] = this.approximate.has(sn) ? 1 : 0;
    });
    return { sn: Int32Array.from(list), start, end, approximate };
  }

  /** What changed since the last call: times, and errors as [sn, text or null]. */
  takeChanges(all = false) {
    const times = this.times(all ? this.start.keys() : this.changed);
    const sns = all ? this.errors.keys() : this.changedErrors;
    const errors = [...sns].map((sn) => [sn, this.errors.get(sn) ?? null]);
    this.changed.clear();
    this.changedErrors.clear();
    return { times, errors };
  }
}
