// When views draw. Events only change models; views say they need drawing, as
// often as they like, and each draws once, at an animation frame, from the
// models as they are then:
// - repaint(view): at the next frame, for what the operator does (scrolling,
//   keys, clicks), which must answer at once;
// - repaintLive(view, every): for what the server tells, at most once `every`
//   milliseconds, so that a flood of events costs the page a few drawings a
//   second, not sixty.
// A page in the background gets no frames: its models stay current (and bounded)
// and it draws when it is shown again. Within a drawing, views only write; what
// must come last (moving a scroll position, which makes the browser lay the page
// out at once) waits until every view has written (afterDrawing), so that a
// frame costs one layout.

const LIVE_MS = 100; // the tree and the timeline: ten drawings a second while events flow

const dirty = new Set();
const last = [];
const live = new Map(); // view -> {timer, drawn}: its next live drawing, and when it last drew live
let frameRequested = false;

/** Draw `view` (its render()) at the next frame. */
export function repaint(view) {
  dirty.add(view);
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(drawFrame);
  }
}

/** Draw `view` at a frame soon, at most once `every` milliseconds. */
export function repaintLive(view, every = LIVE_MS) {
  let pace = live.get(view);
  if (!pace) live.set(view, (pace = { timer: null, drawn: -Infinity }));
  if (pace.timer !== null) return;
  pace.timer = setTimeout(() => {
    pace.timer = null;
    pace.drawn = performance.now();
    repaint(view);
  }, Math.max(0, pace.drawn + every - performance.now()));
}

/** Run `action` once every view of the drawing under way has drawn. */
export function afterDrawing(action) {
  last.push(action);
}

function drawFrame() {
  frameRequested = false;
  const views = [...dirty];
  dirty.clear();
  for (const view of views) view.render();
  for (const action of last.splice(0)) action();
}
