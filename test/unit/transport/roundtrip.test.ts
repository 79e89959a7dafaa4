import { describe, expect, it } from 'vitest';
import { QrAssembler } from '../../../src/transport/qr/assembler.js';
import { encodeQrFrames, framesForLoss, smallBundleNote } from '../../../src/transport/qr/encoder.js';
import { seededRandom } from '../../../src/transport/qr/simulate.js';
import { cborEncode, QR_UR_TYPE, toBuffer, UR, UREncoder } from '../../../src/transport/qr/ur.js';
import { randomBytes, shuffle } from './support.js';

describe('encode → frames → QrAssembler', () => {
  const cases: [number, number][] = [
    [1, 300], [2, 300], [17, 50], [100, 300], [299, 300], [300, 300], [301, 300], [1000, 300], [5000, 200],
    [20_000, 300], [100_000, 1000], [200_000, 1000],
  ];
  for (const [size, fragmentBytes] of cases) {
    it(`${size} bytes in fragments of ≤ ${fragmentBytes}: any order, with duplicates and 30 % lost`, () => {
      const bundle = randomBytes(size, size);
      const enc = encodeQrFrames(bundle, { fragmentBytes });
      expect(enc.parts.length).toBe(framesForLoss(enc.seqLen, 0.3));
      for (const p of enc.parts) {
        expect(p).toMatch(/^UR:X-TUF-CEREMONY-BUNDLE\/[0-9A-Z/-]+$/); // QR alphanumeric mode
        expect(p.toLowerCase().startsWith(`ur:${QR_UR_TYPE}/`)).toBe(true);
      }
      const rnd = seededRandom(size + 7);
      const kept = enc.parts.filter(() => rnd() >= 0.3);
      const frames = shuffle([...kept, ...kept.slice(0, 3)], rnd);
      const a = new QrAssembler();
      for (const f of frames) {
        if (a.complete) break;
        a.receive(f);
      }
      expect(a.complete).toBe(true);
      expect(a.result()).toEqual(bundle);
      expect(a.progress).toMatchObject({ complete: true, rank: enc.seqLen, needed: enc.seqLen, estimatedStillNeeded: 0 });
    }, 60_000);
  }

  it('the standard schedule starts with the plain fragments, which alone reassemble the bundle', () => {
    const bundle = randomBytes(2997, 1); // + 3 bytes of CBOR header = 10 fragments of 300
    const enc = encodeQrFrames(bundle, { schedule: 'standard', count: 10 });
    expect(enc.parts[0]).toMatch(/^UR:X-TUF-CEREMONY-BUNDLE\/1-10\//);
    const a = new QrAssembler();
    for (const f of enc.parts) a.receive(f.toLowerCase()); // case does not matter
    expect(a.result()).toEqual(bundle);
  });

  it('the mixed schedule starts after the plain fragments', () => {
    const enc = encodeQrFrames(randomBytes(2997, 2), { count: 2 });
    expect(enc.parts[0]).toMatch(/^UR:X-TUF-CEREMONY-BUNDLE\/11-10\//);
  });

  it('reports progress: parts received, rank, and an estimate of parts still needed', () => {
    const enc = encodeQrFrames(randomBytes(2997, 3), { schedule: 'standard', count: 12 });
    const a = new QrAssembler();
    expect(a.progress).toMatchObject({ received: 0, rank: 0, needed: 0, complete: false });
    expect(a.receive(enc.parts[0]!)).toBe('innovative');
    expect(a.receive(enc.parts[0]!)).toBe('duplicate');
    expect(a.progress).toMatchObject({ received: 1, duplicates: 1, rank: 1, needed: 10, complete: false });
    expect(a.progress.estimatedStillNeeded).toBeGreaterThanOrEqual(9);
  });

  it('framesForLoss: the plain count without loss, more with it, growing with the loss', () => {
    expect(framesForLoss(67, 0, 'standard')).toBe(67);
    // Mixed parts are XORs: n of them rarely reach rank n, so loss 0 still adds the overhead (issue #18).
    expect(framesForLoss(67, 0)).toBeGreaterThan(67);
    expect(framesForLoss(67, 0.3)).toBeGreaterThan(67 / 0.7);
    expect(framesForLoss(67, 0.5)).toBeGreaterThan(framesForLoss(67, 0.3));
    expect(framesForLoss(1, 0.3)).toBeGreaterThanOrEqual(5);
  });
});

describe('qr encode --loss 0 (issue #18 regression)', () => {
  it('the frames written for a receiver that loses none reassemble the bundle, on either schedule', () => {
    for (const size of [2500, 20_000, 60_000]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      for (const schedule of ['mixed', 'standard'] as const) {
        const enc = encodeQrFrames(bytes, { loss: 0, schedule });
        const a = new QrAssembler();
        for (const p of enc.parts) a.receive(p);
        expect(a.complete, `${size} bytes, ${schedule}: ${enc.parts.length} frames for ${enc.seqLen} fragments`).toBe(true);
        expect(Buffer.from(a.result()).equals(Buffer.from(bytes))).toBe(true);
      }
    }
  });

  it('the count for loss 0 covers the fountain tail: 400 disjoint windows of 10 bundles\' endless mixed streams, each as long as framesForLoss(seqLen, 0), at most one short', () => {
    // Deterministic bytes, so parts and outcome are fixed. A window is short when those frames, all read,
    // do not reassemble. Measured on random bundles of 39 fragments: ~1 window in 40 with the 8 extra parts
    // counted before (10 of these 400), ~1 in 2,500 now; one short window is allowed for the tail.
    const short: string[] = [];
    let count = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const bytes = randomBytes(39 * 300 - 100, 100 + seed);
      count = framesForLoss(39, 0);
      const stream = encodeQrFrames(bytes, { count: 40 * count }).parts;
      expect(encodeQrFrames(bytes, { count: 1 }).seqLen).toBe(39);
      for (let w = 0; w < 40; w++) {
        const a = new QrAssembler();
        for (const p of stream.slice(w * count, (w + 1) * count)) a.receive(p);
        if (!a.complete) short.push(`bundle ${seed} from frame ${w * count}`);
      }
    }
    expect(short.length, `windows of ${count} frames that did not reassemble: ${short.join(', ')}`).toBeLessThanOrEqual(1);
  });

  it('smallBundleNote: small bundles (2–16 fragments) get the fountain overhead said; a single fragment and larger bundles none (issue #18)', () => {
    expect(smallBundleNote(7)).toBe(
      'a small bundle (7 fragments): a receiver usually needs 8–10 frames without loss, sometimes up to 16 (the fixed overhead of a fountain code this small); frames missed add to that',
    );
    expect(smallBundleNote(16)).toContain('16 fragments');
    expect(smallBundleNote(1)).toBeUndefined();
    expect(smallBundleNote(17)).toBeUndefined();
    expect(smallBundleNote(67)).toBeUndefined();
  });
});

describe('encodeQrFrames writes exactly the package encoder\'s parts (issue #18: our index chooser, not its BigNumber one)', () => {
  // The bundle as a UR, and the package's own encoder from the same first sequence number: every part's text must match.
  const packageParts = (bundle: Uint8Array, fragmentBytes: number, firstSeqNum: number, count: number): string[] => {
    const encoder = new UREncoder(new UR(cborEncode(toBuffer(bundle)), QR_UR_TYPE), fragmentBytes, firstSeqNum);
    return Array.from({ length: count }, () => encoder.nextPart().toUpperCase());
  };
  const cases: [size: number, fragmentBytes: number, schedule: 'mixed' | 'standard', first: number][] = [
    [1, 300, 'mixed', 0], [250, 300, 'standard', 0], [301, 300, 'mixed', 0], [2_000, 100, 'standard', 0], [2_000, 100, 'mixed', 0],
    [18_387, 400, 'mixed', 0], [18_387, 400, 'mixed', 977], [20_000, 300, 'standard', 40], [100_000, 1000, 'mixed', 5],
  ];
  for (const [size, fragmentBytes, schedule, first] of cases) {
    it(`${size} bytes, fragments ≤ ${fragmentBytes}, ${schedule} schedule, from frame ${first}`, () => {
      const bundle = randomBytes(size, size + first);
      const enc = encodeQrFrames(bundle, { fragmentBytes, schedule, first });
      const firstSeqNum = (schedule === 'mixed' && enc.seqLen > 1 ? enc.seqLen : 0) + first;
      expect(enc.parts.length).toBeGreaterThan(0);
      expect(enc.parts).toEqual(packageParts(bundle, fragmentBytes, firstSeqNum, enc.parts.length));
    });
  }
});
