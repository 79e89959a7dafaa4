/**
 * `qr decode` of `.txt` frames (review-15d): a splice of the frames of two bundles of equal length and
 * CRC32 (M1) and a 0-byte message (L1) are refused as QR_MESSAGE_NOT_BUNDLE, exit 1, nothing written; progress
 * says "complete" only once the bytes passed the checksum and are a bundle (L3); a refused frame in a
 * `.txt` names its line (L4).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { encodeQrFrames, parseQrPart } from '../../../src/transport/qr/index.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { bundleOf, craftPart, sameCrcTwin, singlePartFrame, splicedFrames, twinOffset } from '../transport/support.js';

const tmp = tempDirs();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

const bundle = bundleOf(5000, 61);

describe('qr decode: the reassembled bytes must be a bundle', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp('tufc-qr-decode-');
  });

  async function decode(name: string, lines: string[]) {
    writeFileSync(join(dir, `${name}.txt`), `${lines.join('\n')}\n`);
    const c = capture();
    const status = await runCli(['qr', 'decode', join(dir, `${name}.txt`), '--out', join(dir, `${name}.bundle`)], c.io);
    return { status, ...c, written: existsSync(join(dir, `${name}.bundle`)) };
  }

  it('the frames of one bundle: written, and "complete" said only once they are checked (review-15d L3)', async () => {
    const r = await decode('good', encodeQrFrames(bundle, { loss: 0.3 }).parts);
    expect(r.status).toBe(0);
    expect(new Uint8Array(readFileSync(join(dir, 'good.bundle')))).toEqual(bundle);
    expect(r.out.at(-3)).toMatch(/^qr: \d+ parts received, all 17 fragments known$/);
    expect(r.out.at(-2)).toBe("qr: the bytes pass the frames' checksum and are a bundle (each file's SHA-256 checked): complete");
    expect(r.out.at(-1)).toMatch(/^wrote good\.bundle: 5000 bytes, sha256 [0-9a-f]{64}, from 1 of 1 inputs$/);
  });

  it("the reviewer's splice (two bundles of the same length and CRC32, frames mixed) → QR_MESSAGE_NOT_BUNDLE, exit 1, nothing written, never called complete", async () => {
    const twin = sameCrcTwin(bundle, twinOffset(bundle));
    const { frames } = splicedFrames(bundle, twin, 3 * encodeQrFrames(bundle, { count: 1 }).seqLen);
    const r = await decode('spliced', frames);
    expect(r.status).toBe(1);
    expect(r.err[0]).toMatch(/^error\[QR_MESSAGE_NOT_BUNDLE\]: the frames reassemble into 5000 bytes that are not a tuf-ceremony bundle \(BUNDLE_/);
    expect(r.written).toBe(false);
    expect(r.out.join('\n')).not.toMatch(/complete/);
  });

  it('one frame whose message is an empty CBOR byte string → QR_MESSAGE_NOT_BUNDLE, exit 1, no 0-byte file', async () => {
    const r = await decode('empty', [singlePartFrame(new Uint8Array([0x40]))]);
    expect(r.status).toBe(1);
    expect(r.err[0]).toMatch(/^error\[QR_MESSAGE_NOT_BUNDLE\]: the frames reassemble into 0 bytes .*BUNDLE_NOT_A_BUNDLE/);
    expect(r.written).toBe(false);
    expect(r.out).toEqual(['qr: 1 parts received, all 1 fragments known']);
  });

  it('frames that agree with each other but not with their message checksum: QR_MESSAGE_CHECKSUM, never called complete (review-15d L3)', async () => {
    // The bundle's 17 plain fragments (standard schedule), each re-encoded with its checksum field off by one.
    const enc = encodeQrFrames(bundle, { schedule: 'standard', count: 17 });
    const lines = enc.parts.map((t) => {
      const part = parseQrPart(t);
      return craftPart({ seqNum: part.seqNum, seqLen: part.seqLen, messageLen: part.messageLen, checksum: (part.checksum ^ 1) >>> 0, fragment: part.fragment });
    });
    const r = await decode('forged', lines);
    expect(r.status).toBe(1);
    expect(r.err[0]).toMatch(/^error\[QR_MESSAGE_CHECKSUM\]/);
    expect(r.written).toBe(false);
    expect(r.out).toEqual(['qr: 17 parts received, all 17 fragments known']);
  });

  it('a refused frame in a .txt names its line (blank lines counted), code unchanged (review-15d L4)', async () => {
    const frames = encodeQrFrames(bundle, { count: 40 }).parts;
    // Line 10, after 8 frames and a blank line 5: the 17 fragments are not all known yet.
    const lines = [...frames.slice(0, 4), '', ...frames.slice(4, 8), 'ur:x-tuf-ceremony-bundle/10-17/zzzzzzzz', ...frames.slice(8)];
    const r = await decode('badline', lines);
    expect(r.status).toBe(1);
    expect(r.err[0]).toMatch(/^error\[QR_FRAME_INVALID\]: badline\.txt line 10: .* \(at .*badline\.txt:10\)$/);
    expect(r.written).toBe(false);
  });
});
