/**
 * Property test against @ngraveio/bc-ur's own decoder: over seeded random bundles, fragment sizes, loss
 * (0–50 %), join points and shuffled arrival orders (with repeats), fed the same frames in the same
 * order, our receiver completes whenever the package's does, never after it, and yields the same bytes.
 */
import { URDecoder } from '@ngraveio/bc-ur';
import { describe, expect, it } from 'vitest';
import { QrAssembler } from '../../../src/transport/qr/assembler.js';
import { encodeQrFrames } from '../../../src/transport/qr/encoder.js';
import { seededRandom } from '../../../src/transport/qr/simulate.js';
import { randomBytes, shuffle } from './support.js';

describe('QrAssembler against the package decoder (property, seeded)', () => {
  it('completes whenever URDecoder does, never needing more frames, with the same bytes', () => {
    let packageCompleted = 0;
    let oursOnly = 0;
    for (let trial = 0; trial < 120; trial++) {
      const rnd = seededRandom(0x5eed + trial);
      const bundle = randomBytes(1 + Math.floor(rnd() * 4000), trial);
      const fragmentBytes = 50 + Math.floor(rnd() * 300);
      const loss = rnd() * 0.5;
      const schedule = rnd() < 0.7 ? 'standard' : 'mixed';
      const probe = encodeQrFrames(bundle, { fragmentBytes, count: 1 });
      const n = probe.seqLen;
      const join = Math.floor(rnd() * 3 * n); // frames before the join are not seen
      const window = join + Math.ceil((2 * n + 5) / (1 - loss));
      const all = encodeQrFrames(bundle, { fragmentBytes, count: window, schedule }).parts.slice(join);
      const received = all.filter(() => rnd() >= loss);
      const frames = shuffle([...received, ...received.filter(() => rnd() < 0.1)], rnd);

      const ours = new QrAssembler();
      const theirs = new URDecoder();
      let oursAt = -1;
      let theirsAt = -1;
      frames.forEach((f, i) => {
        if (oursAt < 0) {
          ours.receive(f);
          if (ours.complete) oursAt = i;
        }
        if (theirsAt < 0) {
          theirs.receivePart(f.toLowerCase());
          if (theirs.isComplete()) theirsAt = i;
        }
      });
      if (theirsAt >= 0) {
        packageCompleted++;
        expect(theirs.isSuccess()).toBe(true);
        expect(oursAt, `trial ${trial}`).toBeGreaterThanOrEqual(0);
        expect(oursAt, `trial ${trial}`).toBeLessThanOrEqual(theirsAt);
        expect(ours.result()).toEqual(new Uint8Array(theirs.resultUR().decodeCBOR()));
      } else if (oursAt >= 0) oursOnly++;
      if (oursAt >= 0) expect(ours.result()).toEqual(bundle);
    }
    // The property is not vacuous: the package completed in most trials.
    expect(packageCompleted).toBeGreaterThan(80);
    expect(oursOnly).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
