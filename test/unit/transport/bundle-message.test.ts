/**
 * review-15d M1 + L1: the UR CRC32 is the only whole-message check of a QR read, and it is forgeable. A
 * read is complete only once its bytes are a bundle as the bundle reader frames them (checkQrBundle):
 * a splice of the frames of two bundles of equal length and CRC32, and a 0-byte message, are refused
 * with QR_MESSAGE_NOT_BUNDLE.
 */
import { describe, expect, it } from 'vitest';
import { isCeremonyError } from '../../../src/errors.js';
import { checkQrBundle, encodeQrFrames, QrAssembler } from '../../../src/transport/qr/index.js';
import { bundleOf, randomBytes, sameCrcTwin, singlePartFrame, splicedFrames, twinOffset } from './support.js';

const bundle = bundleOf(5000, 31);
const twin = sameCrcTwin(bundle, twinOffset(bundle));

function refusal(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('checkQrBundle: a QR read is complete only when its bytes are a bundle', () => {
  it('the bundle itself passes, unchanged', () => {
    const a = new QrAssembler();
    for (const t of encodeQrFrames(bundle, { count: 60 }).parts) if (!a.complete) a.receive(t);
    expect(checkQrBundle(a.result())).toEqual(bundle);
  });

  it("the reviewer's splice: two bundles of the same length and CRC32, different bytes, frames with the same headers; a mix of them passes the CRC but is refused", () => {
    expect(twin.length).toBe(bundle.length);
    expect(Buffer.from(twin).equals(Buffer.from(bundle))).toBe(false);
    const fa = encodeQrFrames(bundle, { loss: 0, count: 3 });
    const fb = encodeQrFrames(twin, { loss: 0, count: 3 });
    expect(fb.checksum).toBe(fa.checksum);
    expect(fb.parts.map((p) => p.split('/').slice(0, 2).join('/'))).toEqual(fa.parts.map((p) => p.split('/').slice(0, 2).join('/')));
    const { frames, spliced } = splicedFrames(bundle, twin, fa.seqLen * 3);
    expect(frames.length).toBeGreaterThanOrEqual(fa.seqLen);
    const err = refusal(() => checkQrBundle(spliced));
    expect(isCeremonyError(err, 'QR_MESSAGE_NOT_BUNDLE'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/^the frames reassemble into 5\d{3} bytes that are not a tuf-ceremony bundle \(BUNDLE_[A-Z_]+: .*\): frames of two bundles were mixed, or the frames were forged$/);
    expect(isCeremonyError((err as Error).cause)).toBe(true);
  });

  it('the forged twin alone (one file byte changed, CRC32 fixed) is refused: its file no longer has the SHA-256 the manifest states', () => {
    const err = refusal(() => checkQrBundle(twin));
    expect(isCeremonyError(err, 'QR_MESSAGE_NOT_BUNDLE'), String(err)).toBe(true);
    expect((err as Error).message).toContain('BUNDLE_MANIFEST_MISMATCH');
  });

  it('one frame whose message is an empty CBOR byte string: a "complete" 0-byte read, refused', () => {
    const a = new QrAssembler();
    a.receive(singlePartFrame(new Uint8Array([0x40])));
    expect(a.complete).toBe(true);
    expect(a.result()).toEqual(new Uint8Array(0));
    const err = refusal(() => checkQrBundle(a.result()));
    expect(isCeremonyError(err, 'QR_MESSAGE_NOT_BUNDLE'), String(err)).toBe(true);
    expect((err as Error).message).toContain('into 0 bytes');
    expect((err as Error).message).toContain('BUNDLE_NOT_A_BUNDLE');
  });

  it('any other bytes (random, 2 bytes) are refused the same way', () => {
    for (const bytes of [randomBytes(3000, 5), new Uint8Array([0x68, 0x69])]) expect(isCeremonyError(refusal(() => checkQrBundle(bytes)), 'QR_MESSAGE_NOT_BUNDLE')).toBe(true);
  });
});
