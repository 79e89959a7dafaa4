/**
 * The receiver: takes frame texts in any order (duplicates and frames read twice are fine), checks each
 * one (part.ts), refuses frames of a second bundle, feeds the fountain parts to the GF(2) elimination
 * solver (solver.ts), reports progress, and returns the bundle bytes once they check against the
 * message CRC32 that every frame carries.
 */
import { CeremonyError } from '../../errors.js';
import { DEFAULT_QR_CAPS, parseQrPart, type QrCaps, type QrPart } from './part.js';
import { Gf2Solver } from './solver.js';
import type { QrProgress } from './progress.js';
import { fragmentChooser } from './fragment-chooser.js';
import { crc32, type IndexChooser } from './ur.js';

/**
 * Parts the elimination receiver needs beyond the rank still missing, on the mixed schedule: measured by
 * `bench/qr.ts` with no loss, 20 KB (67 fragments) and 100 KB (334) alike complete about 7 parts after
 * the fragment count (the redundant parts come mostly near the end), so the estimate adds 6.
 */
const EXPECTED_OVERHEAD = 6;

export type { QrProgress };

/** Distinct parts a receiver takes for a message of seqLen fragments before it gives up (QR_TOO_MANY_PARTS). */
export function maxDistinctParts(seqLen: number): number {
  return 2 * seqLen + 64;
}

export type ReceiveOutcome = 'innovative' | 'redundant' | 'duplicate';

interface Identity {
  seqLen: number;
  messageLen: number;
  checksum: number;
  fragmentLength: number;
}

export class QrAssembler {
  private readonly caps: QrCaps;
  private readonly chooseIndexes: IndexChooser;
  private identity: Identity | undefined;
  private solver: Gf2Solver | undefined;
  private readonly seen = new Set<number>();
  private duplicates = 0;
  private bytes: Uint8Array | undefined;

  constructor(opts: { caps?: QrCaps; indexChooser?: IndexChooser } = {}) {
    this.caps = opts.caps ?? DEFAULT_QR_CAPS;
    // Ours by default: the package's answer at a cost independent of the seqLen a frame announces
    // (fragment-chooser.ts); injectable so tests and the bench can compare with the package's own.
    this.chooseIndexes = opts.indexChooser ?? fragmentChooser();
  }

  /** Check and take one frame's text. Throws CeremonyError (QR_*) for a refused frame; the assembler is unchanged then. */
  receive(text: string): ReceiveOutcome {
    return this.receivePart(parseQrPart(text, this.caps));
  }

  /** Take an already parsed part (parseQrPart). */
  receivePart(part: QrPart): ReceiveOutcome {
    const id: Identity = { seqLen: part.seqLen, messageLen: part.messageLen, checksum: part.checksum, fragmentLength: part.fragment.length };
    if (!this.identity) {
      this.identity = id;
      this.solver = new Gf2Solver(id.seqLen, id.fragmentLength);
    } else if (
      this.identity.seqLen !== id.seqLen ||
      this.identity.messageLen !== id.messageLen ||
      this.identity.checksum !== id.checksum ||
      this.identity.fragmentLength !== id.fragmentLength
    ) {
      throw new CeremonyError(
        'QR_FOREIGN_FRAME',
        `the frame belongs to another bundle (checksum ${hex8(id.checksum)}, ${id.messageLen} bytes) than the one being read (checksum ${hex8(this.identity.checksum)}, ${this.identity.messageLen} bytes)`,
      );
    }
    if (this.seen.has(part.seqNum)) {
      this.duplicates++;
      return 'duplicate';
    }
    // A budget of distinct parts: elimination completes about 7 parts past seqLen wherever it joins (bench/qr.ts),
    // so a stream still short after twice that is not one our encoder made — and each part costs work.
    const budget = maxDistinctParts(id.seqLen);
    if (this.seen.size >= budget) {
      throw new CeremonyError('QR_TOO_MANY_PARTS', `${this.seen.size} distinct frames were read for a bundle of ${id.seqLen} fragments without completing it (the budget is ${budget}): the frames are not from one bundle this tool encoded`);
    }
    const indexes = this.chooseIndexes(part.seqNum, id.seqLen, id.checksum);
    this.seen.add(part.seqNum);
    return this.solver!.add(indexes, part.fragment) ? 'innovative' : 'redundant';
  }

  get complete(): boolean {
    return this.solver?.complete ?? false;
  }

  get progress(): QrProgress {
    const needed = this.identity?.seqLen ?? 0;
    const rank = this.solver?.rank ?? 0;
    const complete = this.complete;
    return {
      received: this.seen.size,
      duplicates: this.duplicates,
      rank,
      needed,
      estimatedStillNeeded: complete ? 0 : needed === 0 ? 1 : needed - rank + EXPECTED_OVERHEAD,
      complete,
    };
  }

  /**
   * The message bytes, once complete, checked against the message CRC32. CRC32 catches misreads, not
   * substitution (frames of two messages of equal length and CRC32 mix into a third that passes it):
   * callers taking a bundle check these bytes with checkQrBundle (bundle-message.ts; review-15d M1).
   */
  result(): Uint8Array {
    if (this.bytes) return this.bytes;
    const solver = this.solver;
    const id = this.identity;
    if (!solver || !id || !solver.complete) {
      const p = this.progress;
      throw new CeremonyError(
        'QR_INCOMPLETE',
        p.needed === 0 ? 'no QR frame of a bundle was read' : `the frames read hold ${p.rank} of ${p.needed} fragments; about ${p.estimatedStillNeeded} more distinct frames are needed`,
      );
    }
    const message = new Uint8Array(id.seqLen * id.fragmentLength);
    solver.solve().forEach((fragment, i) => message.set(fragment, i * id.fragmentLength));
    const body = message.subarray(0, id.messageLen);
    if (crc32(body) !== id.checksum) throw new CeremonyError('QR_MESSAGE_CHECKSUM', 'the bundle reassembled from the frames does not match their checksum');
    this.bytes = unwrapByteString(body);
    return this.bytes;
  }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** The UR's CBOR is exactly one byte string (major type 2, definite, shortest length form). */
function unwrapByteString(cbor: Uint8Array): Uint8Array {
  const bad = () => new CeremonyError('QR_FRAME_INVALID', 'the reassembled UR is not one canonical CBOR byte string');
  const head = cbor[0];
  if (head === undefined || head >> 5 !== 2) throw bad();
  const info = head & 0x1f;
  let len: number;
  let off: number;
  if (info < 24) [len, off] = [info, 1];
  else if (info === 24 && cbor.length >= 2) [len, off] = [cbor[1]!, 2];
  else if (info === 25 && cbor.length >= 3) [len, off] = [(cbor[1]! << 8) | cbor[2]!, 3];
  else if (info === 26 && cbor.length >= 5) [len, off] = [((cbor[1]! << 24) >>> 0) + ((cbor[2]! << 16) | (cbor[3]! << 8) | cbor[4]!), 5];
  else throw bad();
  const shortest = len < 24 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
  if (off !== shortest || off + len !== cbor.length) throw bad();
  return cbor.slice(off);
}
