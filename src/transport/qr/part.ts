/**
 * One QR frame's text → a checked fountain part. The order of checks is the order of cost: size cap,
 * scheme, type, path shape, sequence component, bytewords with their CRC32 (the per-frame checksum of
 * the UR format), CBOR structure (re-encoded by the package and compared, so only the one canonical
 * encoding is accepted), then the fields against each other and against the caps.
 */
import { CeremonyError } from '../../errors.js';
import { bytewords, crc32, FountainEncoderPart, QR_UR_TYPE } from './ur.js';

/**
 * The most text one QR code holds (version 40, level L, alphanumeric mode). A longer "frame" cannot have
 * come from a QR code: refused before any decoding.
 */
export const QR_MAX_FRAME_CHARS = 4296;

export interface QrCaps {
  /** Largest reassembled message (the UR's CBOR: the bundle plus a few bytes of header). */
  maxMessageBytes: number;
  /** Most fragments one message may be cut into: bounds the solver's memory (seqLen² / 8 bytes) and a frame's cost. */
  maxSeqLen: number;
}

/**
 * 1 MiB of bundle over QR is 3,500 frames of 300 bytes, seven minutes at 8 frames a second — past what an
 * operator holds a camera for; larger bundles go by USB. seqLen is bounded by that cap cut into 100-byte
 * fragments (a third of the default, and half of what a webcam reads well): 10,486 fragments at most, a
 * 14 MB solver, and a frame whose cost no longer grows with what it announces (fragment-chooser.ts).
 * A bundle cut finer than that must use larger fragments (the encoder says so).
 */
const MAX_MESSAGE_BYTES = 1024 * 1024;
const SEQ_LEN_FRAGMENT_BYTES = 100;
export const DEFAULT_QR_CAPS: QrCaps = { maxMessageBytes: MAX_MESSAGE_BYTES, maxSeqLen: Math.ceil(MAX_MESSAGE_BYTES / SEQ_LEN_FRAGMENT_BYTES) };

/** A frame's content: part `seqNum` of the fountain over a message of `seqLen` fragments. */
export interface QrPart {
  seqNum: number;
  seqLen: number;
  messageLen: number;
  /** CRC32 of the whole message (the UR multipart `checksum`), which identifies the bundle. */
  checksum: number;
  fragment: Uint8Array;
}

const invalid = (message: string, cause?: unknown) => new CeremonyError('QR_FRAME_INVALID', message, { cause });

function decodeBytewords(body: string): Buffer {
  if (body.length === 0 || body.length % 2 !== 0 || !/^[a-z]+$/.test(body)) throw invalid('the frame body is not minimal bytewords (pairs of letters)');
  let hex: string;
  try {
    hex = bytewords.decode(body, bytewords.STYLES.MINIMAL);
  } catch (err) {
    // The package asserts 'Invalid Checksum' when the CRC32 appended to the body does not match.
    if (err instanceof Error && /checksum/i.test(err.message)) throw new CeremonyError('QR_FRAME_CHECKSUM', 'the frame fails its CRC32: it was misread or altered', { cause: err });
    throw invalid('the frame body is not valid bytewords', err);
  }
  return Buffer.from(hex, 'hex');
}

function parseSeq(seq: string): { seqNum: number; seqLen: number } {
  const m = /^([1-9][0-9]{0,9})-([1-9][0-9]{0,9})$/.exec(seq);
  if (!m) throw invalid('the sequence component is not "N-M" with positive decimal numbers');
  const seqNum = Number(m[1]);
  const seqLen = Number(m[2]);
  if (seqNum > 0xffffffff) throw invalid('the sequence number is above 2^32 - 1');
  return { seqNum, seqLen };
}

function checkSizes(p: QrPart, caps: QrCaps): void {
  if (p.messageLen > caps.maxMessageBytes) {
    throw new CeremonyError('QR_MESSAGE_TOO_LARGE', `the frames announce a ${p.messageLen}-byte bundle, over the cap of ${caps.maxMessageBytes}`);
  }
  if (p.seqLen > caps.maxSeqLen) throw new CeremonyError('QR_MESSAGE_TOO_LARGE', `the frames announce ${p.seqLen} fragments, over the cap of ${caps.maxSeqLen}`);
  if (p.messageLen < 1 || p.fragment.length < 1) throw invalid('empty message or fragment');

  // The encoder cuts the message into seqLen equal fragments, the last one zero-padded.
  if (Math.ceil(p.messageLen / p.fragment.length) !== p.seqLen) {
    throw invalid(`${p.seqLen} fragments of ${p.fragment.length} bytes cannot hold a ${p.messageLen}-byte message`);
  }
}

/** Parse and check one frame's text. Throws CeremonyError with a QR_* code. */
export function parseQrPart(text: string, caps: QrCaps = DEFAULT_QR_CAPS): QrPart {
  if (typeof text !== 'string') throw invalid('a frame must be text');
  if (text.length > QR_MAX_FRAME_CHARS) throw new CeremonyError('QR_FRAME_TOO_LARGE', `a frame of ${text.length} characters, over the ${QR_MAX_FRAME_CHARS} a QR code can hold`);
  const lower = text.toLowerCase();
  if (!lower.startsWith('ur:')) throw new CeremonyError('QR_NOT_UR', 'the QR code does not hold a UR frame (it does not start with "ur:")');
  const components = lower.slice(3).split('/');
  const type = components[0]!;
  if (type !== QR_UR_TYPE) {
    throw new CeremonyError('QR_TYPE_UNEXPECTED', `the QR code holds a UR of type "${type.slice(0, 40).replace(/[^a-z0-9-]/g, '?')}", not a tuf-ceremony bundle (${QR_UR_TYPE})`);
  }
  if (components.length === 2) {
    // Single-part UR (a message that fits one fragment): the body is the whole message.
    const message = decodeBytewords(components[1]!);
    const part: QrPart = { seqNum: 1, seqLen: 1, messageLen: message.length, checksum: crc32(message), fragment: new Uint8Array(message) };
    checkSizes(part, caps);
    return part;
  }
  if (components.length !== 3) throw invalid('a UR frame has the form ur:TYPE/SEQ/BODY');
  const { seqNum, seqLen } = parseSeq(components[1]!);
  const cbor = decodeBytewords(components[2]!);
  let decoded: InstanceType<typeof FountainEncoderPart>;
  try {
    decoded = FountainEncoderPart.fromCBOR(cbor);
  } catch (err) {
    throw invalid('the frame body is not the CBOR of a fountain part [seqNum, seqLen, messageLen, checksum, fragment]', err);
  }
  const fields = [decoded.seqNum, decoded.seqLength, decoded.messageLength, decoded.checksum];
  if (!fields.every((v) => Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff)) throw invalid('a fountain part field is not a 32-bit unsigned integer');
  // Only the canonical encoding: re-encode and compare (refuses trailing bytes, non-shortest integers).
  if (!decoded.cbor().equals(cbor)) throw invalid('the fountain part is not canonically encoded');
  if (decoded.seqNum !== seqNum || decoded.seqLength !== seqLen) throw invalid('the sequence in the frame path differs from the one in its body');
  const part: QrPart = {
    seqNum,
    seqLen,
    messageLen: decoded.messageLength,
    checksum: decoded.checksum,
    fragment: new Uint8Array(decoded.fragment),
  };
  checkSizes(part, caps);
  return part;
}
