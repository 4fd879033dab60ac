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

/**
 * A duration for people: "250 ms", "1.25 s", "2 min 5 s", "1 h 3 min". `resolution`
 * (seconds) is the finest difference that matters: a time axis's step between ticks.
 */
export function formatDuration(seconds, resolution = 0.001) {
  if (seconds === 0) return "0 s";
  if (Math.abs(seconds) < 1 && resolution < 1) {
    const ms = seconds * 1000;
    return `${ms.toFixed(Math.abs(ms) < 10 && resolution < 0.01 ? 1 : 0)} ms`;
  }
  if (Math.abs(seconds) < 60) {
    const decimals = resolution >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(resolution) - 1e-9));
    return `${seconds.toFixed(decimals)} s`;
  }
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
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
