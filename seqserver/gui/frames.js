// When views draw. Events only change models; views say they need drawing, as
// often as they like, and each draws once, at an animation frame, from the
// models as they are then:
// - repaint(view): at the next frame, for what the operator does (scrolling,
//   keys, clicks), which must answer at once;
// - repaintLive(view): for what the server tells, at most every LIVE_INTERVAL_MS,
//   so that a flood of events costs the page a few drawings a second, not sixty.
// A page in the background gets no frames: its models stay current (and bounded)
// and it draws when it is shown again.

const LIVE_INTERVAL_MS = 50;

const dirty = new Set();
const live = new Set();
let frameRequested = false;
let liveTimer = null;
let lastLiveDraw = -Infinity;

/** Draw `view` (its render()) at the next frame. */
export function repaint(view) {
  dirty.add(view);
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(drawFrame);
  }
}

/** Draw `view` at a frame soon, at most every LIVE_INTERVAL_MS together with the other live drawings. */
export function repaintLive(view) {
  live.add(view);
  if (liveTimer !== null) return;
  liveTimer = setTimeout(() => {
    liveTimer = null;
    lastLiveDraw = performance.now();
    for (const waiting of live) repaint(waiting);
    live.clear();
  }, Math.max(0, lastLiveDraw + LIVE_INTERVAL_MS - performance.now()));
}

function drawFrame() {
  frameRequested = false;
  const views = [...dirty];
  dirty.clear();
  for (const view of views) view.render();
}
