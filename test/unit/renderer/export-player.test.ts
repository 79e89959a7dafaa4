/**
 * The QR player's clock (renderer/src/export/player.ts), driven by a fake clock: the rate is clamped to
 * 5–10 frames per second, frames advance once per interval (never in bursts), a change of rate is felt at
 * once, pause holds the frame, resume gives it a whole interval, a frame not yet loaded holds the player,
 * and frames are fetched ahead in windows. And the canvas side unpacks exactly what the core packs.
 */
import { describe, expect, it } from 'vitest';
import {
  clampRate,
  DEFAULT_FPS,
  frameIntervalMs,
  MAX_FPS,
  MIN_FPS,
  modulePixels,
  nextDueAt,
  pause,
  resume,
  setRate,
  startPlayer,
  tick,
  windowToFetch,
  type PlayerState,
} from '../../../renderer/src/export/player.js';
import { unpackModules } from '../../../renderer/src/export/qr-canvas.js';
import { packModules } from '../../../src/bundle/export.js';

/** Tick every `step` ms from `from` to `to`; returns the final state. */
function run(s: PlayerState, from: number, to: number, step = 4, available?: (i: number) => boolean): PlayerState {
  for (let t = from; t <= to; t += step) s = tick(s, t, available);
  return s;
}

describe('rate', () => {
  it.each([
    [0, MIN_FPS],
    [4.4, MIN_FPS],
    [5, 5],
    [7.4, 7],
    [7.6, 8],
    [10, 10],
    [11, MAX_FPS],
    [1000, MAX_FPS],
    [-3, MIN_FPS],
    [Number.NaN, DEFAULT_FPS],
    [Number.POSITIVE_INFINITY, DEFAULT_FPS],
  ])('clampRate(%s) = %s', (input, want) => {
    expect(clampRate(input)).toBe(want);
  });

  it('interval is 1000 / fps, clamped', () => {
    expect(frameIntervalMs(5)).toBe(200);
    expect(frameIntervalMs(10)).toBe(100);
    expect(frameIntervalMs(50)).toBe(100);
    expect(frameIntervalMs(1)).toBe(200);
  });
});

describe('clock', () => {
  it.each([5, 6, 8, 10])('at %s fps, 10 seconds of ticks show 10 × fps frames', (fps) => {
    const s = run(startPlayer(0, fps), 0, 10_000);
    // Frame 0 at t=0, then one per interval: index = floor(10 000 / interval).
    expect(s.index).toBe(10 * fps);
    expect(s.shown).toBe(10 * fps + 1);
  });

  it('advances at most one frame per tick and never bursts after a stall', () => {
    let s = startPlayer(0, 10);
    s = tick(s, 1000); // ten intervals late
    expect(s.index).toBe(1);
    expect(s.shownAt).toBe(1000);
    expect(tick(s, 1050)).toBe(s); // the late frame still gets its whole interval
    expect(tick(s, 1100).index).toBe(2);
  });

  it('keeps a steady rhythm when ticks come a little late', () => {
    let s = startPlayer(0, 5);
    s = tick(s, 203);
    expect(s.shownAt).toBe(200); // the schedule, not the late tick, sets the next deadline
    expect(nextDueAt(s)).toBe(400);
  });

  it('a change of rate while playing is felt at once', () => {
    let s = run(startPlayer(0, 5), 0, 1000);
    expect(s.index).toBe(5);
    s = setRate(s, 10);
    expect(s.fps).toBe(10);
    s = run(s, 1004, 2000);
    expect(s.index).toBe(15);
    s = setRate(s, 99);
    expect(s.fps).toBe(MAX_FPS);
    expect(setRate(s, 10)).toBe(s);
  });

  it('pause holds the frame; resume gives it a whole interval from now', () => {
    let s = run(startPlayer(0, 10), 0, 500);
    const at = s.index;
    s = pause(s);
    expect(nextDueAt(s)).toBe(Number.POSITIVE_INFINITY);
    s = run(s, 504, 5000);
    expect(s.index).toBe(at);
    s = resume(s, 5000);
    expect(tick(s, 5099).index).toBe(at);
    expect(tick(s, 5100).index).toBe(at + 1);
    expect(resume(s, 6000)).toBe(s);
    expect(pause(pause(s))).toEqual(pause(s));
  });

  it('a frame not loaded yet holds the player on the one shown', () => {
    const loaded = new Set([0, 1, 2]);
    let s = run(startPlayer(0, 10), 0, 2000, 4, (i) => loaded.has(i));
    expect(s.index).toBe(2);
    loaded.add(3);
    s = tick(s, 2004, (i) => loaded.has(i));
    expect(s.index).toBe(3);
  });
});

describe('fetching and sizing', () => {
  it('fetches the next window when fewer than `ahead` frames are loaded past the one shown', () => {
    expect(windowToFetch(0, 40, 20, 40)).toBeUndefined();
    expect(windowToFetch(19, 40, 20, 40)).toBeUndefined();
    expect(windowToFetch(20, 40, 20, 40)).toEqual({ first: 40, count: 40 });
    expect(windowToFetch(100, 40, 20, 40)).toEqual({ first: 100, count: 40 });
  });

  it('whole pixels per module, quiet zone included, at least 1', () => {
    expect(modulePixels(77, 1280, 720)).toBe(8); // 85 modules across 720 px
    expect(modulePixels(77, 720, 1280)).toBe(8);
    expect(modulePixels(177, 100, 100)).toBe(1);
  });
});

describe('qr-canvas unpackModules', () => {
  it('is the inverse of the core’s packModules (row-major, MSB first), and refuses a matrix of the wrong length', () => {
    const size = 29;
    const dark = (x: number, y: number) => (x * 7 + y * 13) % 5 === 0 || x === y;
    const modules = packModules(size, dark);
    const bits = unpackModules({ size, modules });
    expect(bits).toHaveLength(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) expect(bits[y * size + x], `${x},${y}`).toBe(dark(x, y) ? 1 : 0);
    expect(() => unpackModules({ size: size + 1, modules })).toThrow(/bytes for a 30×30 code/);
  });
});
