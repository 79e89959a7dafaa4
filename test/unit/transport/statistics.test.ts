/**
 * The receiver's target (issue 6): at 30 % frame loss, frames displayed until reassembly ≤ 1.10× the
 * ideal (fragments ÷ 0.7) at the median and ≤ 1.25× at p95, for any join point. 200+ trials on fixed
 * seeds, so the result is the same on every run (not flaky). Also: the frame count `qr encode` writes
 * suffices for a receiver losing 30 % of a single pass.
 */
import { describe, expect, it } from 'vitest';
import { QrAssembler } from '../../../src/transport/qr/assembler.js';
import { encodeQrFrames } from '../../../src/transport/qr/encoder.js';
import { FrameSource, framesToComplete, memoIndexChooser, quantile, seededRandom } from '../../../src/transport/qr/simulate.js';
import { randomBytes } from './support.js';

const TRIALS = 200;
const LOSS = 0.3;

describe('frames needed at 30 % loss (20 KB bundle, 300-byte fragments)', () => {
  const bundle = randomBytes(20_000, 20);
  const src = new FrameSource(bundle);
  const chooser = memoIndexChooser();
  const ideal = src.seqLen / (1 - LOSS);

  for (const join of ['start', 'random'] as const) {
    it(`joining at ${join === 'start' ? 'the first frame' : 'a random frame'}: median ≤ 1.10×, p95 ≤ 1.25× the ideal`, () => {
      const ratios: number[] = [];
      for (let t = 0; t < TRIALS; t++) {
        const rnd = seededRandom(1000 + t);
        const at = join === 'start' ? 1 : 1 + Math.floor(rnd() * 5 * src.seqLen);
        ratios.push(framesToComplete(src, 'ours', { join: at, loss: LOSS, random: rnd, indexChooser: chooser, verify: t % 20 === 0 }) / ideal);
      }
      expect(quantile(ratios, 0.5)).toBeLessThanOrEqual(1.1);
      expect(quantile(ratios, 0.95)).toBeLessThanOrEqual(1.25);
    }, 120_000);
  }

  it('the frames qr encode writes are enough for a receiver losing 30 % of them', () => {
    const enc = encodeQrFrames(bundle);
    let completed = 0;
    for (let t = 0; t < TRIALS; t++) {
      const rnd = seededRandom(5000 + t);
      const a = new QrAssembler({ indexChooser: chooser });
      for (const p of enc.parts) if (rnd() >= LOSS && !a.complete) a.receive(p);
      if (a.complete) completed++;
    }
    expect(completed / TRIALS).toBeGreaterThanOrEqual(0.99);
  }, 120_000);
});
