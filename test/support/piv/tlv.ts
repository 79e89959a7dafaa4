/**
 * BER-TLV as the PIV card edge uses it (NIST SP 800-73-4 Part 2, 3.1: one- or two-byte tags, lengths in
 * the short form below 0x80 and 0x81/0x82 long forms above). Test infrastructure for the PIV emulator.
 */

export function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length < 0x100) return Uint8Array.of(0x81, length);
  if (length < 0x10000) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  throw new RangeError(`TLV length ${length} is too large for a PIV object`);
}

/** One TLV; `tag` is one byte unless it is given as two (0x7f49, 0x5fc1...). */
export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const tagBytes = tag > 0xff ? Uint8Array.of(tag >> 8, tag & 0xff) : Uint8Array.of(tag);
  return concat(tagBytes, encodeLength(value.length), value);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface Tlv {
  tag: number;
  value: Uint8Array;
}

/**
 * Parses a run of TLVs. Tags whose low five bits are all ones continue in a second byte (ISO 7816-4 5.2.2.1),
 * which is how 0x7f49 and 0x5fc1.. reach us. Throws on a truncated item (the card answers 6A80).
 */
export function parseTlvs(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    let tag = bytes[at++]!;
    if ((tag & 0x1f) === 0x1f) {
      if (at >= bytes.length) throw new RangeError('truncated TLV tag');
      tag = (tag << 8) | bytes[at++]!;
    }
    if (at >= bytes.length) throw new RangeError('truncated TLV length');
    let length = bytes[at++]!;
    if (length === 0x81) {
      length = bytes[at++] ?? -1;
    } else if (length === 0x82) {
      length = ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
      at += 2;
    } else if (length > 0x80) {
      throw new RangeError('unsupported TLV length form');
    }
    if (length < 0 || at + length > bytes.length) throw new RangeError('truncated TLV value');
    out.push({ tag, value: bytes.subarray(at, at + length) });
    at += length;
  }
  return out;
}

export function findTlv(items: Tlv[], tag: number): Uint8Array | undefined {
  return items.find((t) => t.tag === tag)?.value;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
