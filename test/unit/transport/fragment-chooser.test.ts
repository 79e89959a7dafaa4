/**
 * Our fragment chooser (src/transport/qr/fragment-chooser.ts) must give exactly the package's answer —
 * else a receiver XORs the wrong fragments and every bundle fails its checksum. Checked against
 * @ngraveio/bc-ur's own chooseFragments with fast-check (fixed seed), at small and large seqLen.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseFragments } from '@ngraveio/bc-ur/dist/fountainUtils.js';
import { fragmentChooser } from '../../../src/transport/qr/fragment-chooser.js';

describe('fragmentChooser', () => {
  it('equals the package for seqLen 1–400, any seqNum and checksum', () => {
    const ours = fragmentChooser();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (seqLen, seqNum, checksum) => {
        expect(ours(seqNum, seqLen, checksum)).toEqual(chooseFragments(seqNum, seqLen, checksum));
      }),
      { seed: 12, numRuns: 400 },
    );
  });

  it('equals the package on the mixed parts right after the fragments, where an encoder starts', () => {
    const ours = fragmentChooser();
    for (const seqLen of [2, 3, 67, 334]) {
      for (let seqNum = seqLen + 1; seqNum <= seqLen + 40; seqNum++) expect(ours(seqNum, seqLen, 0xdeadbeef)).toEqual(chooseFragments(seqNum, seqLen, 0xdeadbeef));
    }
  });

  it('equals the package at seqLen 3000 and 12000 (the cap a frame may announce)', () => {
    const ours = fragmentChooser();
    for (const [seqLen, seqNum] of [
      [3000, 3001],
      [3000, 99_999],
      [12_000, 12_345],
      [12_000, 4_000_000_000],
    ] as const) {
      expect(ours(seqNum, seqLen, 123456789)).toEqual(chooseFragments(seqNum, seqLen, 123456789));
    }
  });
});
