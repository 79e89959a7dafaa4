import { describe, expect, it } from 'vitest';
import { Gf2Solver } from '../../../src/transport/qr/solver.js';
import { seededRandom } from '../../../src/transport/qr/simulate.js';
import { randomBytes } from './support.js';

/** Rank over GF(2) by a plain dense elimination on arrays of 0/1, to check the solver's rank against. */
function referenceRank(rows: number[][], n: number): number {
  const m = rows.map((idx) => {
    const r = new Array<number>(n).fill(0);
    for (const i of idx) r[i] = r[i]! ^ 1;
    return r;
  });
  let rank = 0;
  for (let col = 0; col < n && rank < m.length; col++) {
    const p = m.findIndex((r, i) => i >= rank && r[col] === 1);
    if (p < 0) continue;
    [m[rank], m[p]] = [m[p]!, m[rank]!];
    for (let i = 0; i < m.length; i++) if (i !== rank && m[i]![col] === 1) m[i] = m[i]!.map((v, k) => v ^ m[rank]![k]!);
    rank++;
  }
  return rank;
}

describe('Gf2Solver', () => {
  it('tracks the rank of random sparse and dense rows exactly, and solves to the original fragments', () => {
    for (let trial = 0; trial < 60; trial++) {
      const rnd = seededRandom(trial + 1);
      const n = 1 + Math.floor(rnd() * 70); // crosses the 32- and 64-bit word boundaries
      const fragLen = 1 + Math.floor(rnd() * 9);
      const fragments = Array.from({ length: n }, (_, i) => randomBytes(fragLen, trial * 1000 + i));
      const solver = new Gf2Solver(n, fragLen);
      const rows: number[][] = [];
      while (!solver.complete) {
        const density = rnd() < 0.5 ? 2 / n : 0.5;
        const idx = [...Array(n).keys()].filter(() => rnd() < density);
        const payload = new Uint8Array(fragLen);
        for (const i of idx) for (let k = 0; k < fragLen; k++) payload[k]! ^= fragments[i]![k]!;
        const before = solver.rank;
        const innovative = solver.add(idx, payload);
        rows.push(idx);
        expect(solver.rank).toBe(referenceRank(rows, n));
        expect(innovative).toBe(solver.rank === before + 1);
      }
      expect(solver.solve()).toEqual(fragments);
      expect(solver.add([0], fragments[0]!)).toBe(false);
    }
  });

  it('refuses out-of-range indexes and wrong payload lengths', () => {
    const s = new Gf2Solver(5, 4);
    expect(() => s.add([5], new Uint8Array(4))).toThrow(RangeError);
    expect(() => s.add([0], new Uint8Array(3))).toThrow(RangeError);
    expect(() => s.solve()).toThrow();
  });
});
