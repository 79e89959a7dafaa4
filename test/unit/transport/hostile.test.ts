/** Hostile and broken frames (PRODUCT.md §6): each refused with its own code, the assembler unchanged. */
import { FountainEncoderPart } from '@ngraveio/bc-ur/dist/fountainEncoder.js';
import { describe, expect, it } from 'vitest';
import { isCeremonyError, type ErrorCode } from '../../../src/errors.js';
import { maxDistinctParts, QrAssembler } from '../../../src/transport/qr/assembler.js';
import { encodeQrFrames } from '../../../src/transport/qr/encoder.js';
import { DEFAULT_QR_CAPS, parseQrPart, QR_MAX_FRAME_CHARS } from '../../../src/transport/qr/part.js';
import { cborEncode, QR_UR_TYPE, UR, UREncoder } from '../../../src/transport/qr/ur.js';
import { bodyOf, craftPart, randomBytes } from './support.js';

const bundle = randomBytes(2997, 9); // 10 fragments of 300
const enc = encodeQrFrames(bundle, { schedule: 'standard', count: 14 });
const good = enc.parts[3]!.toLowerCase();
const [, seq, body] = good.split('/') as [string, string, string];
const frag = (n: number) => new Uint8Array(n).fill(1);

function swapWords(b: string, i: number, j: number): string {
  const w = b.match(/../g)!;
  [w[i], w[j]] = [w[j]!, w[i]!];
  return w.join('');
}

/** Non-shortest CBOR: the array's first integer (seqNum 4 = 0x04) written as 0x18 0x04. */
function nonCanonical(): string {
  const cbor = new FountainEncoderPart(4, 10, 3000, enc.checksum, Buffer.alloc(300, 2)).cbor();
  expect(cbor[1]).toBe(4);
  const longer = Buffer.concat([cbor.subarray(0, 1), Buffer.from([0x18, 4]), cbor.subarray(2)]);
  return `ur:${QR_UR_TYPE}/4-10/${bodyOf(longer)}`;
}

const table: [string, string, ErrorCode][] = [
  ['one byte changed (CRC32 fails)', `ur:${QR_UR_TYPE}/${seq}/${swapWords(body, 10, 11)}`, 'QR_FRAME_CHECKSUM'],
  ['truncated body (CRC32 fails)', `ur:${QR_UR_TYPE}/${seq}/${body.slice(0, -20)}`, 'QR_FRAME_CHECKSUM'],
  ['truncated mid-word', good.slice(0, -1), 'QR_FRAME_INVALID'],
  ['truncated before the body', `ur:${QR_UR_TYPE}/${seq}`, 'QR_FRAME_INVALID'],
  ['not bytewords', `ur:${QR_UR_TYPE}/${seq}/zzzzzzzzzzzz`, 'QR_FRAME_INVALID'],
  ['extra path component', `${good}/ae`, 'QR_FRAME_INVALID'],
  ['sequence not N-M', `ur:${QR_UR_TYPE}/4/${body}`, 'QR_FRAME_INVALID'],
  ['sequence number 0', craftPart({ seqNum: 0, seqLen: 10, messageLen: 3000, checksum: 1, fragment: frag(300) }), 'QR_FRAME_INVALID'],
  ['path sequence differs from body', craftPart({ seqNum: 4, seqLen: 10, messageLen: 3000, checksum: 1, fragment: frag(300), pathSeq: '5-10' }), 'QR_FRAME_INVALID'],
  ['non-canonical CBOR', nonCanonical(), 'QR_FRAME_INVALID'],
  ['body is CBOR of something else', `ur:${QR_UR_TYPE}/4-10/${bodyOf(cborEncode(Buffer.from('hello')))}`, 'QR_FRAME_INVALID'],
  ['seqLen contradicts messageLen and fragment size', craftPart({ seqNum: 1, seqLen: 7, messageLen: 3000, checksum: 1, fragment: frag(300) }), 'QR_FRAME_INVALID'],
  ['absurd messageLen', craftPart({ seqNum: 1, seqLen: 1, messageLen: 0xffffffff, checksum: 1, fragment: frag(300) }), 'QR_MESSAGE_TOO_LARGE'],
  ['absurd seqLen', craftPart({ seqNum: 1, seqLen: 2_000_000, messageLen: 2_000_000, checksum: 1, fragment: frag(1) }), 'QR_MESSAGE_TOO_LARGE'],
  ['more fragments than a 1 MiB bundle cut at 100 bytes makes', craftPart({ seqNum: 1, seqLen: 12_000, messageLen: 1_200_000, checksum: 1, fragment: frag(100) }), 'QR_MESSAGE_TOO_LARGE'],
  ['another UR type', good.replace(QR_UR_TYPE, 'crypto-psbt'), 'QR_TYPE_UNEXPECTED'],
  ['the test-only bytes type', good.replace(QR_UR_TYPE, 'bytes'), 'QR_TYPE_UNEXPECTED'],
  ['non-UR text', 'https://example.com/not-a-frame', 'QR_NOT_UR'],
  ['empty text', '', 'QR_NOT_UR'],
  ['oversized frame', `UR:X-TUF-CEREMONY-BUNDLE/1-2/${'AE'.repeat(QR_MAX_FRAME_CHARS)}`, 'QR_FRAME_TOO_LARGE'],
];

describe('hostile QR frames', () => {
  it.each(table)('%s → %s', (_name, text, code) => {
    const a = new QrAssembler();
    a.receive(enc.parts[0]!);
    const before = a.progress;
    let caught: unknown;
    try {
      a.receive(text);
    } catch (err) {
      caught = err;
    }
    expect(isCeremonyError(caught, code), String(caught)).toBe(true);
    expect(a.progress).toEqual(before);
  });

  it('a frame of a second bundle → QR_FOREIGN_FRAME, and the first bundle still completes', () => {
    const other = encodeQrFrames(randomBytes(2997, 10), { schedule: 'standard', count: 10 });
    const a = new QrAssembler();
    a.receive(enc.parts[0]!);
    expect(() => a.receive(other.parts[1]!)).toThrow(expect.objectContaining({ code: 'QR_FOREIGN_FRAME' }));
    // Same checksum, other length (a forged frame): refused too.
    expect(() => a.receive(craftPart({ seqNum: 2, seqLen: 10, messageLen: 2999, checksum: enc.checksum, fragment: frag(300) }))).toThrow(
      expect.objectContaining({ code: 'QR_FOREIGN_FRAME' }),
    );
    for (const p of enc.parts) if (!a.complete) a.receive(p);
    expect(a.result()).toEqual(bundle);
    expect(() => a.receive(other.parts[2]!)).toThrow(expect.objectContaining({ code: 'QR_FOREIGN_FRAME' }));
  });

  it('frames whose CRCs pass but whose data does not match the message checksum → QR_MESSAGE_CHECKSUM', () => {
    const a = new QrAssembler();
    a.receive(craftPart({ seqNum: 1, seqLen: 2, messageLen: 20, checksum: 12345, fragment: frag(10) }));
    a.receive(craftPart({ seqNum: 2, seqLen: 2, messageLen: 20, checksum: 12345, fragment: frag(10) }));
    expect(a.complete).toBe(true);
    expect(() => a.result()).toThrow(expect.objectContaining({ code: 'QR_MESSAGE_CHECKSUM' }));
  });

  it('a reassembled UR that is not one CBOR byte string → QR_FRAME_INVALID', () => {
    const e = new UREncoder(new UR(cborEncode([1, 2, Buffer.alloc(500, 3)]), QR_UR_TYPE), 300);
    const a = new QrAssembler();
    for (let i = 0; i < 2 && !a.complete; i++) a.receive(e.nextPart());
    expect(a.complete).toBe(true);
    expect(() => a.result()).toThrow(expect.objectContaining({ code: 'QR_FRAME_INVALID' }));
  });

  it('asking for the bundle too early → QR_INCOMPLETE, saying how many more', () => {
    const a = new QrAssembler();
    expect(() => a.result()).toThrow(expect.objectContaining({ code: 'QR_INCOMPLETE' }));
    a.receive(enc.parts[0]!);
    expect(() => a.result()).toThrow(/1 of 10 fragments; about \d+ more/);
  });

  it('caps are configurable', () => {
    expect(() => parseQrPart(enc.parts[0]!, { maxMessageBytes: 1000, maxSeqLen: 100 })).toThrow(expect.objectContaining({ code: 'QR_MESSAGE_TOO_LARGE' }));
    expect(() => parseQrPart(enc.parts[0]!, { maxMessageBytes: 10_000, maxSeqLen: 5 })).toThrow(expect.objectContaining({ code: 'QR_MESSAGE_TOO_LARGE' }));
  });
});

describe('forged frames cost the same whatever seqLen they announce (issue #12)', () => {
  it('a mixed part at the seqLen cap is taken (the fragment choice equals the package\'s; no timing asserted here: npm run bench measures it)', () => {
    const a = new QrAssembler();
    const seqLen = DEFAULT_QR_CAPS.maxSeqLen;
    const messageLen = DEFAULT_QR_CAPS.maxMessageBytes;
    expect(a.receive(craftPart({ seqNum: seqLen + 77, seqLen, messageLen, checksum: 5, fragment: frag(100) }))).toBe('innovative');
    expect(a.progress).toMatchObject({ received: 1, rank: 1, needed: seqLen });
  });

  it('a budget of distinct parts: a stream that never completes is refused (QR_TOO_MANY_PARTS), duplicates cost nothing', () => {
    const a = new QrAssembler();
    const seqLen = 3;
    const budget = maxDistinctParts(seqLen);
    // Parts that only ever XOR fragments 0 and 1 together would not complete; any distinct parts count.
    let last: unknown;
    for (let seqNum = 1000; seqNum < 1000 + budget + 5; seqNum++) {
      try {
        a.receive(craftPart({ seqNum, seqLen, messageLen: 300, checksum: 9, fragment: frag(100) }));
        if (a.complete) break;
      } catch (err) {
        last = err;
        break;
      }
    }
    // Three random fragments complete quickly unless the solver was fed contradictions: either way the
    // assembler stops, by completing (and its CRC refusing) or by the budget.
    if (!a.complete) expect(last).toMatchObject({ code: 'QR_TOO_MANY_PARTS' });
    const b = new QrAssembler();
    const text = craftPart({ seqNum: 1, seqLen: 1000, messageLen: 100_000, checksum: 9, fragment: frag(100) });
    for (let i = 0; i < 5000; i++) b.receive(text);
    expect(b.progress).toMatchObject({ received: 1, duplicates: 4999 });
    for (let seqNum = 2; seqNum <= maxDistinctParts(1000); seqNum++) b.receive(craftPart({ seqNum: 1000 + seqNum * 7919, seqLen: 1000, messageLen: 100_000, checksum: 9, fragment: frag(100) }));
    expect(() => b.receive(craftPart({ seqNum: 123, seqLen: 1000, messageLen: 100_000, checksum: 9, fragment: frag(100) }))).toThrow(expect.objectContaining({ code: 'QR_TOO_MANY_PARTS' }));
  });
});
