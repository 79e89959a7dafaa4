/**
 * The animated-QR player's clock, as plain functions of (state, now): which frame is shown, when the next
 * one is due, the rate and pause. No DOM, no timers: the QrPlayer component calls `tick` from a timer and
 * draws whatever frame the state names; test/unit/renderer/export-player.test.ts drives it with a fake
 * clock.
 *
 * Rate: 5–10 frames per second (issue #6; wallets that play fountain-coded URs daily settle there: slower
 * wastes the receiver's time, faster outruns cheap webcams and autofocus). Each frame stays up for one
 * whole interval: a late tick (slow machine, frames not fetched yet) shows the next frame late rather than
 * skipping ahead or bursting to catch up — with a fountain code no particular frame matters, but every
 * frame shown must be shown long enough to be read.
 */

export const MIN_FPS = 5;
export const MAX_FPS = 10;
export const DEFAULT_FPS = 8;

/** A chosen rate as the player uses it: a whole number of frames per second from 5 to 10. */
export function clampRate(fps: number): number {
  if (!Number.isFinite(fps)) return DEFAULT_FPS;
  return Math.min(MAX_FPS, Math.max(MIN_FPS, Math.round(fps)));
}

/** How long each frame stays on screen at `fps` (clamped), in milliseconds. */
export function frameIntervalMs(fps: number): number {
  return 1000 / clampRate(fps);
}

export interface PlayerState {
  /** The frame on screen (0-based index in the endless display order). */
  index: number;
  playing: boolean;
  fps: number;
  /** When the frame on screen was put up (ms, the caller's clock). */
  shownAt: number;
  /** Frames shown since the player started (the counter people see). */
  shown: number;
}

export function startPlayer(now: number, fps: number = DEFAULT_FPS, index = 0): PlayerState {
  return { index, playing: true, fps: clampRate(fps), shownAt: now, shown: 1 };
}

/** When the next frame is due (Infinity while paused). */
export function nextDueAt(state: PlayerState): number {
  return state.playing ? state.shownAt + frameIntervalMs(state.fps) : Number.POSITIVE_INFINITY;
}

/**
 * Advance to the next frame when it is due and `available(index)` says it can be drawn; otherwise keep
 * the state as it is (the same object, so a caller can skip redrawing). At most one frame per tick.
 */
export function tick(state: PlayerState, now: number, available: (index: number) => boolean = () => true): PlayerState {
  if (!state.playing || now < nextDueAt(state)) return state;
  const next = state.index + 1;
  if (!available(next)) return state;
  // A tick that comes late starts the next interval now: no burst of frames to catch up.
  const due = nextDueAt(state);
  const shownAt = now - due < frameIntervalMs(state.fps) ? due : now;
  return { ...state, index: next, shownAt, shown: state.shown + 1 };
}

/** Change the rate while playing; the frame on screen keeps its start, so the change is felt at once. */
export function setRate(state: PlayerState, fps: number): PlayerState {
  const clamped = clampRate(fps);
  return clamped === state.fps ? state : { ...state, fps: clamped };
}

export function pause(state: PlayerState): PlayerState {
  return state.playing ? { ...state, playing: false } : state;
}

/** Resume: the frame on screen gets a whole interval from now. */
export function resume(state: PlayerState, now: number): PlayerState {
  return state.playing ? state : { ...state, playing: true, shownAt: now };
}

/**
 * Which window of frames to fetch next, if any: when fewer than `ahead` frames past the one on screen
 * are loaded, the window starting at the first frame not loaded yet.
 */
export function windowToFetch(index: number, loadedUntil: number, ahead: number, windowSize: number): { first: number; count: number } | undefined {
  if (loadedUntil - index > ahead) return undefined;
  return { first: Math.max(loadedUntil, index), count: windowSize };
}

/** Modules per side → the module size in whole pixels that fits `width`×`height` with the 4-module quiet zone on each side. */
export function modulePixels(size: number, width: number, height: number): number {
  const span = size + 8;
  return Math.max(1, Math.floor(Math.min(width, height) / span));
}
