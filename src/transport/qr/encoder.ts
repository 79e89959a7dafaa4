/**
 * Bundle bytes → the text of animated-QR frames: Blockchain Commons multipart URs of our type
 * (`ur:x-tuf-ceremony-bundle/SEQNUM-SEQLEN/BODY`), made by @ngraveio/bc-ur's own encoder and
 * upper-cased so a QR code can hold them in the dense alphanumeric mode.
 *
 * In the package's sequence, parts 1…seqLen are the fragments themselves and every later part XORs a
 * pseudo-random set of them (degree d drawn with probability ∝ 1/d), so a receiver that missed frames
 * keeps learning from the following ones instead of waiting for a whole second cycle.
 *
 * Schedule. By default we display the *mixed* parts only, seqNum seqLen+1, seqLen+2, … (`mixed`); the
 * package's `standard` sequence starts with the pure fragments. Every frame is a standard part either
 * way (any UR decoder accepts them), but the pure pass is a poor start for a receiver that loses frames:
 * each pure fragment it misses must later be covered by a mixed part that happens to include it, and the
 * last few gaps are slow to fill. Measured by bench/qr.ts with our elimination receiver at 30 % loss,
 * 100 trials, 20 KB (67 fragments): joining a standard stream at its start needs 1.26× the ideal
 * (median) and 1.42× (p95); the mixed schedule 1.10× / 1.22× at the start, 1.05× / 1.19× joining at a
 * random frame. At 100 KB (334 fragments) the mixed schedule needs 1.02× / 1.07× wherever it joins.
 * The price: the package's peeling decoder needs 1.7–2.5× on the mixed schedule (it is a mid-stream join
 * for it), against 1.3–1.5× on a standard stream from the start. Our receivers (CLI, app) use elimination.
 */
import { CeremonyError } from '../../errors.js';
import { DEFAULT_QR_CAPS, type QrCaps } from './part.js';
import { fragmentChooser } from './fragment-chooser.js';
import { bytewords, cborEncode, crc32, FountainEncoderPart, QR_UR_TYPE, toBuffer, UR, UREncoder } from './ur.js';

/** Default fragment size: a 300-byte fragment makes a 669-character frame, QR version 15 at level L (bench/qr.ts), read at 720p in ~9 ms. */
export const QR_DEFAULT_FRAGMENT_BYTES = 300;
export const QR_MIN_FRAGMENT_BYTES = 50;
export const QR_MAX_FRAGMENT_BYTES = 1000;

/** Which standard parts are displayed: see the file comment. */
export type QrSchedule = 'mixed' | 'standard';

export interface QrEncoding {
  /** The UR CBOR that is fountain-coded: the bundle wrapped in one CBOR byte string. */
  messageLength: number;
  /** CRC32 of that message: the same in every frame, identifies the bundle. */
  checksum: number;
  /** Number of fragments (the ideal number of frames with no loss). */
  seqLen: number;
  fragmentLength: number;
  /** Frame texts, in display order (upper case). */
  parts: string[];
}

/** Parts beyond seqLen a receiver of the mixed schedule needs in all but < 0.1 % of cases (see framesForLoss). */
export const QR_OVERHEAD_PARTS = 16;

/**
 * Frames to display so that a receiver losing the share `loss` of them still completes with high
 * probability: the smallest N whose expected receipts, less three standard deviations of the binomial
 * loss, cover seqLen plus the elimination receiver's overhead on the mixed schedule.
 *
 * That overhead is a tail, not a constant: measured over 6,000 windows of the mixed schedule (7, 39 and
 * 100 fragments), a receiver reading every part needs 3 beyond seqLen at the median, but each further
 * part only divides the chance of still being short by ~1.6 — more than 9 extra in 2–4 % of windows,
 * more than 13 in 0.3–0.6 %, more than 16 in under 0.1 %. Counting 8 extra (the median-ish figure used
 * before) left `qr encode --loss 0` short about once in 40 exports; 16 plus 2 % (for the slow growth of
 * the median with size) leaves it short below once in 1,000.
 */
export function framesForLoss(seqLen: number, loss: number, schedule: QrSchedule = 'mixed'): number {
  if (!Number.isSafeInteger(seqLen) || seqLen < 1) throw new RangeError('seqLen must be a positive integer');
  if (!(loss >= 0 && loss < 0.9)) throw new RangeError('loss must be in [0, 0.9)');
  // Only the standard schedule's first seqLen parts are the fragments themselves: without loss they are
  // enough. The mixed schedule's parts are XORs whose first seqLen rarely reach full rank (issue #18): the
  // overhead term applies at loss 0 too.
  if (loss === 0 && (schedule === 'standard' || seqLen === 1)) return seqLen;
  const need = seqLen === 1 ? 1 : seqLen + QR_OVERHEAD_PARTS + Math.ceil(0.02 * seqLen);
  const keep = 1 - loss;
  let n = Math.ceil(need / keep);
  while (n * keep - 3 * Math.sqrt(n * loss * keep) < need) n++;
  return n;
}

/** Up to this many fragments a bundle is "small": the fountain code's fixed overhead is a large share of it. */
export const QR_SMALL_BUNDLE_FRAGMENTS = 16;

/**
 * What a player should say about a small bundle (issue #18), or undefined for a larger one. A random
 * binary fountain code needs a roughly fixed number of parts beyond the fragment count (about 1.6 at no
 * loss, whatever the size), which is little for 67 fragments and a lot for 7: measured on 7-fragment
 * bundles, a receiver needs 1.10–1.30× the ideal number of frames (median) and up to 2.2× in 1 trial in
 * 20 (p95) — the floor of a binary fountain code at that size, not a fault of the camera. A plain loop of
 * the fragments would need exactly 1× without loss but a whole extra cycle for every fragment missed, so
 * the fountain stays: the estimate just says so.
 */
export function smallBundleNote(seqLen: number): string | undefined {
  if (seqLen > QR_SMALL_BUNDLE_FRAGMENTS || seqLen <= 1) return undefined;
  return (
    `a small bundle (${seqLen} fragments): a receiver usually needs ${Math.ceil(seqLen * 1.1)}–${Math.ceil(seqLen * 1.3)} frames without loss, ` +
    `sometimes up to ${Math.ceil(seqLen * 2.2)} (the fixed overhead of a fountain code this small); frames missed add to that`
  );
}

/**
 * Encode `bundle` into `count` frames (default: enough for a receiver losing 30 %). `first` skips that
 * many frames of the display order, so a player can fetch an endless fountain stream window by window
 * (the frames are the same as in one long call: each part depends only on its sequence number).
 */
export function encodeQrFrames(
  bundle: Uint8Array,
  opts: { fragmentBytes?: number; loss?: number; count?: number; first?: number; caps?: QrCaps; schedule?: QrSchedule } = {},
): QrEncoding {
  if (!(bundle instanceof Uint8Array) || bundle.length === 0) throw new CeremonyError('USAGE', 'the bundle to encode is empty');
  const fragmentBytes = opts.fragmentBytes ?? QR_DEFAULT_FRAGMENT_BYTES;
  if (!Number.isSafeInteger(fragmentBytes) || fragmentBytes < QR_MIN_FRAGMENT_BYTES || fragmentBytes > QR_MAX_FRAGMENT_BYTES) {
    throw new CeremonyError('USAGE', `the fragment size must be an integer from ${QR_MIN_FRAGMENT_BYTES} to ${QR_MAX_FRAGMENT_BYTES} bytes`);
  }
  const caps = opts.caps ?? DEFAULT_QR_CAPS;
  const message = cborEncode(toBuffer(bundle));
  if (message.length > caps.maxMessageBytes) {
    throw new CeremonyError('QR_MESSAGE_TOO_LARGE', `a ${bundle.length}-byte bundle is over the QR cap of ${caps.maxMessageBytes} bytes`);
  }
  const ur = new UR(message, QR_UR_TYPE);
  const seqLen = new UREncoder(ur, fragmentBytes).fragmentsLength;
  // The package's encoder increments before emitting: firstSeqNum = seqLen makes the first part seqLen + 1.
  const first = opts.first ?? 0;
  if (!Number.isSafeInteger(first) || first < 0 || first > 0xffff_0000) throw new RangeError('first must be a non-negative integer below 2^32 - 2^16');
  const encoder = new UREncoder(ur, fragmentBytes, ((opts.schedule ?? 'mixed') === 'mixed' && seqLen > 1 ? seqLen : 0) + first);
  if (seqLen > caps.maxSeqLen) throw new CeremonyError('QR_MESSAGE_TOO_LARGE', `${seqLen} fragments, over the cap of ${caps.maxSeqLen}: use larger fragments`);
  const count = opts.count ?? framesForLoss(seqLen, opts.loss ?? 0.3, opts.schedule ?? 'mixed');
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
  const parts: string[] = [];
  if (seqLen === 1) {
    for (let i = 0; i < count; i++) parts.push(encoder.nextPart().toUpperCase());
  } else {
    // The package's nextPart, step for step, with its index choice swapped for ours (fragment-chooser.ts:
    // the same indexes, checked against the package's own function in the tests): the package's costs
    // ~3 ms per part in BigNumber/JSBI arithmetic, most of the frames' text (issue #18, rehearsal export).
    // The fragments, the XOR of the chosen ones, the part's CBOR and its bytewords are the package's own.
    const fragments = encoder.fragments;
    const fragmentLength = fragments[0]!.length;
    const checksum = crc32(message);
    const choose = fragmentChooser();
    const firstSeqNum = ((opts.schedule ?? 'mixed') === 'mixed' ? seqLen : 0) + first;
    for (let i = 0; i < count; i++) {
      const seqNum = (firstSeqNum + i + 1) >>> 0; // the package's toUint32(seqNum + 1)
      const mixed = Buffer.alloc(fragmentLength);
      for (const index of choose(seqNum, seqLen, checksum)) {
        const fragment = fragments[index]!;
        for (let b = 0; b < fragmentLength; b++) mixed[b]! ^= fragment[b]!;
      }
      // The package's UREncoder.encodePart: ur:TYPE/SEQNUM-SEQLEN/minimal bytewords of the part's CBOR.
      const body = bytewords.encode(new FountainEncoderPart(seqNum, seqLen, message.length, checksum, mixed).cbor().toString('hex'), bytewords.STYLES.MINIMAL);
      parts.push(`ur:${ur.type}/${seqNum}-${seqLen}/${body}`.toUpperCase());
    }
  }
  return { messageLength: message.length, checksum: crc32(message), seqLen, fragmentLength: encoder.fragments[0]!.length, parts };
}
