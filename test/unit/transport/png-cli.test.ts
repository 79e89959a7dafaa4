/**
 * encode → PNG → zxing-wasm → reassemble, in Node, through the CLI: `qr encode` then `qr decode` with
 * 30 % of the images dropped. zxing-wasm must load its bundled .wasm, never fetch it (the app is offline):
 * fetch is replaced by a function that fails the test.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { qrModules, qrPng, readQrCodes } from '../../../src/io/qr-images.js';
import { seededRandom } from '../../../src/transport/qr/simulate.js';
import { bundleOf, shuffle } from './support.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

describe('qr encode / qr decode (PNG through zxing-wasm)', () => {
  let dir: string;
  const fetched: string[] = [];
  beforeAll(() => {
    dir = tmp('tufc-qr-');
    vi.stubGlobal('fetch', (url: unknown) => {
      fetched.push(String(url));
      throw new Error('network access attempted');
    });
  });
  afterAll(() => {
    vi.unstubAllGlobals();
    expect(fetched).toEqual([]);
  });

  it('round trip with 30 % of the frames lost, in shuffled order', async () => {
    const bundle = bundleOf(2500, 42);
    writeFileSync(join(dir, 'b.bundle'), bundle);
    const enc = capture();
    expect(await runCli(['qr', 'encode', join(dir, 'b.bundle'), '--out', join(dir, 'frames')], enc.io)).toBe(0);
    const names = readdirSync(join(dir, 'frames'));
    const pngs = names.filter((n) => n.endsWith('.png')).sort();
    expect(pngs[0]).toBe('frame-0001.png');
    expect(names).toContain('frames.txt');
    const lines = readFileSync(join(dir, 'frames', 'frames.txt'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(pngs.length);

    const rnd = seededRandom(3);
    const kept = shuffle(pngs.filter(() => rnd() >= 0.3), rnd).map((n) => join(dir, 'frames', n));
    const dec = capture();
    const status = await runCli(['qr', 'decode', ...kept, '--out', join(dir, 'out.bundle')], dec.io);
    expect(status).toBe(0);
    expect(new Uint8Array(readFileSync(join(dir, 'out.bundle')))).toEqual(bundle);
    expect(dec.err).toEqual([]);
    expect(dec.out.join('\n')).toMatch(/parts received, \d+ of \d+ fragments known/);
    expect(dec.out[dec.out.length - 2]).toMatch(/complete$/);
    expect(dec.out[dec.out.length - 1]).toMatch(/^wrote out\.bundle: 2500 bytes, sha256 [0-9a-f]{64}/);

    // Never overwrites.
    const again = capture();
    expect(await runCli(['qr', 'encode', join(dir, 'b.bundle'), '--out', join(dir, 'frames')], again.io)).toBe(2);
    expect(again.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]/);
  }, 60_000);

  it('qr encode --loss 0: the frames written are enough for a receiver that reads every one (issue #18 regression); a small bundle gets its note', async () => {
    const bundle = bundleOf(2500, 44);
    writeFileSync(join(dir, 'zero.bundle'), bundle);
    const enc = capture();
    expect(await runCli(['qr', 'encode', join(dir, 'zero.bundle'), '--out', join(dir, 'zero'), '--loss', '0'], enc.io)).toBe(0);
    // 2,500 bytes in 300-byte fragments: 9 fragments, more frames than that on the mixed schedule.
    expect(enc.out.join('\n')).toContain('note: a small bundle (9 fragments): a receiver usually needs 10–12 frames without loss, sometimes up to 20');
    const pngs = readdirSync(join(dir, 'zero')).filter((n) => n.endsWith('.png')).sort().map((n) => join(dir, 'zero', n));
    expect(pngs.length).toBeGreaterThan(9);
    const dec = capture();
    expect(await runCli(['qr', 'decode', ...pngs, '--out', join(dir, 'zero-out.bundle')], dec.io)).toBe(0);
    expect(new Uint8Array(readFileSync(join(dir, 'zero-out.bundle')))).toEqual(bundle);
  }, 60_000);

  it('refuses frames of a second bundle (exit 1, nothing written), and says when frames are missing', async () => {
    writeFileSync(join(dir, 'c.bundle'), bundleOf(2500, 43));
    expect(await runCli(['qr', 'encode', join(dir, 'c.bundle'), '--out', join(dir, 'c'), '--frames', '3'], capture().io)).toBe(0);
    const first = join(dir, 'frames', 'frame-0001.png');
    const foreign = join(dir, 'c', 'frame-0001.png');
    const c = capture();
    expect(await runCli(['qr', 'decode', first, foreign, '--out', join(dir, 'mixed.bundle')], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[QR_FOREIGN_FRAME\]: frame-0001\.png: /);
    expect(existsSync(join(dir, 'mixed.bundle'))).toBe(false);

    const short = capture();
    expect(await runCli(['qr', 'decode', foreign, '--out', join(dir, 'short.bundle')], short.io)).toBe(1);
    expect(short.err[0]).toMatch(/^error\[QR_INCOMPLETE\]: the frames read hold 1 of 9 fragments/);
    expect(existsSync(join(dir, 'short.bundle'))).toBe(false);
  }, 60_000);

  it('skips an image without a QR code, and reads frames from a .txt file', async () => {
    writeFileSync(join(dir, 'blank.png'), Buffer.from('not a png'));
    const c = capture();
    const status = await runCli(['qr', 'decode', join(dir, 'blank.png'), join(dir, 'frames', 'frames.txt'), '--out', join(dir, 'from-text.bundle')], c.io);
    expect(c.out[0]).toMatch(/^qr: blank\.png: .*\(skipped\)$/);
    expect(status).toBe(0);
    expect(readFileSync(join(dir, 'from-text.bundle'))).toEqual(readFileSync(join(dir, 'b.bundle')));
  }, 60_000);

  it('usage errors are exit 2', async () => {
    const c = capture();
    expect(await runCli(['qr', 'encode', join(dir, 'b.bundle'), '--out', join(dir, 'x'), '--fragment-size', '5'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[USAGE\]: --fragment-size/);
    const d = capture();
    expect(await runCli(['qr', 'encode', join(dir, 'b.bundle'), '--out', join(dir, 'x'), '--loss', '2'], d.io)).toBe(2);
    const e = capture();
    expect(await runCli(['qr'], e.io)).toBe(2);
  });

  it('zxing-wasm reads a frame drawn by qrcode from raw RGBA pixels too', async () => {
    const text = readFileSync(join(dir, 'frames', 'frames.txt'), 'utf8').split('\n')[0]!;
    expect(await readQrCodes(await qrPng(text))).toEqual([text]);
    // A 1280×720 RGBA frame with the code drawn in the middle, as a webcam would hand it over.
    const { size, dark } = qrModules(text);
    const [width, height, scale] = [1280, 720, Math.floor(600 / (size + 8))];
    const data = new Uint8ClampedArray(width * height * 4).fill(255);
    const x0 = Math.floor((width - size * scale) / 2);
    const y0 = Math.floor((height - size * scale) / 2);
    for (let y = 0; y < size * scale; y++) {
      for (let x = 0; x < size * scale; x++) {
        if (!dark(Math.floor(x / scale), Math.floor(y / scale))) continue;
        const o = ((y0 + y) * width + x0 + x) * 4;
        data[o] = data[o + 1] = data[o + 2] = 0;
      }
    }
    expect(await readQrCodes({ data, width, height })).toEqual([text]);
  });
});
