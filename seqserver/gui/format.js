// How states, times and node types read on the page, in one place.

const WORDS = {
  NOT_STARTED: "Not Started",
  SCHEDULED: "Scheduled",
  RUNNING: "Running",
  PAUSED: "Paused",
  FINISHED: "Finished",
  CANCELLED: "Cancelled",
  SKIP: "Skip",
  ERROR: "Error",
  PAUSE: "Pause",
};

const title = (word) => WORDS[word] ?? word;

/**
 * The manual's GUI wording of a node's state: the state, its qualifiers after a
 * colon, the runtime flags in parentheses: "Not Started (Pause)",
 * "Finished: Skip (Skip)", "Cancelled: Error".
 */
export function stateText(state, flags) {
  const [main, ...qualifiers] = (state || "NOT_STARTED").split("|");
  let text = title(main);
  if (qualifiers.length) text += ": " + qualifiers.map(title).join(", ");
  if (flags && flags.length) text += ` (${flags.map(title).join(", ")})`;
  return text;
}

/** The shell's display form, e.g. FINISHED|SKIP|RT.SKIP (shown as a tooltip). */
export function stateDisplayForm(state, flags) {
  return [state, ...(flags || []).map((flag) => `RT.${flag}`)].join("|");
}

/** The main state word (RUNNING, FINISHED...), for styling. */
export function mainState(state) {
  return (state || "NOT_STARTED").split("|")[0];
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** "2023-04-01 05:05:07.947" from seconds since the epoch (the server's clock). */
export function timestamp(seconds) {
  const t = new Date(seconds * 1000);
  return (
    `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${clock(t)}`
  );
}

/** "12:15:48.731" of a Date. */
export function clock(t) {
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
}

export const NODE_TYPES = {
  A: "Action",
  S: "Sequence",
  P: "Parallel",
  L: "Loop",
  T: "Template",
  D: "Dialog",
  O: "Observation Block",
};

const ICON_PATHS = {
  // three steps one after the other
  S: '<rect x="1" y="6" width="4" height="4"/><rect x="6" y="6" width="4" height="4"/><rect x="11" y="6" width="4" height="4"/>',
  // three branches side by side
  P: '<rect x="2" y="1" width="12" height="3"/><rect x="2" y="6.5" width="12" height="3"/><rect x="2" y="12" width="12" height="3"/>',
  // a circular arrow
  L: '<path d="M8 2a6 6 0 1 0 6 6h-2a4 4 0 1 1-4-4v2.5L12 3 8 -0.5z"/>',
  T: '<path d="M2 2h12v3H9.5v9h-3V5H2z"/>',
  O: '<path d="M3 1h7l3 3v11H3z"/>',
  D: '<path d="M2 2h12v9H7l-4 3v-3H2z"/>',
  A: '<circle cx="8" cy="8" r="3"/>',
};

/** An inline SVG icon telling the node's type apart (Sequence, Parallel, Loop...). */
export function typeIcon(type) {
  const svg = `<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">${ICON_PATHS[type] ?? ICON_PATHS.A}</svg>`;
  const span = document.createElement("span");
  span.className = `icon icon-${type}`;
  span.title = NODE_TYPES[type] ?? type;
  span.innerHTML = svg;
  return span;
}
