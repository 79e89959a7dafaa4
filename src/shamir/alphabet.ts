/**
 * The transcribable alphabet of share cards and the check character of each group.
 *
 * Alphabet: Crockford base32 (https://www.crockford.com/base32.html) — digits and upper-case letters
 * without I, L, O and U. On input, case is ignored and the look-alikes are read as Crockford says:
 * O → 0, I and L → 1. Bytes are packed big-endian, 5 bits per character, like RFC 4648 base32 but with
 * this alphabet and no `=` padding; the unused low bits of the last character must be zero.
 *
 * Check character: Crockford's own check symbol is one mod-37 digit over a whole number and needs five
 * extra symbols (`*~$=U`); we want a check per group of four characters, in the same 32 symbols, so that
 * a mistake is *located*. Each symbol is an element of GF(32) (GF(2)[x] / (x⁵ + x² + 1), α = x, a
 * primitive element), and the group (x₀ … x_{k−1}, c) of global group number g satisfies
 *
 *     t_g ⊕ α¹·x₀ ⊕ α²·x₁ ⊕ … ⊕ α^k·x_{k−1} ⊕ α⁰·c = 0,        t_g = g + 1
 *
 * Every weight α⁰ … α^k (k ≤ 4) is non-zero and distinct, so:
 * - a single substitution x → x′ at weight w changes the sum by w·(x ⊕ x′) ≠ 0: always caught, the check
 *   character included;
 * - swapping two adjacent different characters with weights w ≠ w′ changes it by (w ⊕ w′)·(x ⊕ x′) ≠ 0:
 *   always caught, the swap of the last character with the check character included;
 * - swapping two whole groups changes each by t_g ⊕ t_h ≠ 0 (groups are numbered across the card, at
 *   most 31 of them), and a swap across a group boundary breaks both groups.
 * Any other error in one group is missed with probability 1/32; the card check (a SHA-256 over every
 * field, card.ts) catches it.
 */

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const DECODE: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) {
    t[ALPHABET.charCodeAt(i)] = i;
    t[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  // Crockford's look-alikes.
  for (const [c, v] of [['O', 0], ['o', 0], ['I', 1], ['i', 1], ['L', 1], ['l', 1]] as const) t[c.charCodeAt(0)] = v;
  return t;
})();

/** The 5-bit value of one typed character, or -1 if it is not one of the card's characters. */
export function symbolValue(ch: string): number {
  const code = ch.charCodeAt(0);
  return ch.length === 1 && code < 128 ? (DECODE[code] as number) : -1;
}

/** Number of characters that encode `byteLength` bytes. */
export function encodedLength(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}

/** 5-bit values of `bytes` (big-endian bit order; the last value padded with zero bits). */
export function bytesToSymbols(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(encodedLength(bytes.length));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | (bytes[i] as number)) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[o++] = (acc >> bits) & 31;
    }
  }
  if (bits > 0) out[o++] = (acc << (5 - bits)) & 31;
  acc = 0;
  return out;
}

/**
 * Bytes from 5-bit values; `byteLength` bytes exactly. Returns undefined when the count does not fit or a
 * padding bit is set (a non-canonical spelling: refused, so each share has exactly one card text).
 */
export function symbolsToBytes(symbols: Uint8Array, byteLength: number): Uint8Array | undefined {
  if (symbols.length !== encodedLength(byteLength)) return undefined;
  const out = new Uint8Array(byteLength);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < symbols.length; i++) {
    acc = ((acc << 5) | (symbols[i] as number)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (o < byteLength) out[o++] = (acc >> bits) & 0xff;
    }
  }
  const padding = acc & ((1 << bits) - 1);
  acc = 0;
  if (padding !== 0) {
    out.fill(0);
    return undefined;
  }
  return out;
}

export function symbolsToText(symbols: Uint8Array): string {
  let s = '';
  for (let i = 0; i < symbols.length; i++) s += ALPHABET[symbols[i] as number];
  return s;
}

/** Crockford text of `bytes` (split IDs, card checks: not secret). */
export function encodeBase32(bytes: Uint8Array): string {
  return symbolsToText(bytesToSymbols(bytes));
}

// --- GF(32) ---

const PRIMITIVE_POLY = 0b100101; // x⁵ + x² + 1
const EXP = new Uint8Array(62);
const LOG = new Uint8Array(32);
{
  let v = 1;
  for (let i = 0; i < 31; i++) {
    EXP[i] = v;
    EXP[i + 31] = v;
    LOG[v] = i;
    v <<= 1;
    if (v & 32) v ^= PRIMITIVE_POLY;
  }
}

/** Exported for the tests (α must have order 31). */
export const GF32 = {
  exp: (i: number): number => EXP[i % 31] as number,
  mul(a: number, b: number): number {
    if (a === 0 || b === 0) return 0;
    return EXP[(LOG[a] as number) + (LOG[b] as number)] as number;
  },
};

/** Most groups one card may have: the group tags t_g = g + 1 must be distinct non-zero elements. */
export const MAX_GROUPS = 31;

/** The check value of data symbols `data[from … to)` forming global group `group` (0-based). */
export function groupCheck(data: Uint8Array, from: number, to: number, group: number): number {
  if (group < 0 || group >= MAX_GROUPS) throw new RangeError('group number out of range');
  let sum = group + 1;
  for (let i = from; i < to; i++) sum ^= GF32.mul(EXP[i - from + 1] as number, data[i] as number);
  return sum;
}
