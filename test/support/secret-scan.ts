/**
 * Search bytes (a transcript, a bundle, a log) for secrets a ceremony handled — private keys, PINs,
 * shares — in every form they could have been written in: raw, hex (lower and upper case), base64
 * (standard and URL-safe, any alignment: a key inside a PEM or DER block is not at a 3-byte boundary) and
 * base32 (RFC 4648, upper and lower case, any alignment). Line breaks (PEM wraps at 64 columns) and JSON's
 * escaped `\n` are ignored by also scanning a copy with them removed.
 *
 * Used as `expect(scanForSecrets(bytes, secrets)).toEqual([])`, always next to a positive control that
 * plants a secret and expects it found, so the check can fail.
 */

export type SecretForm = 'raw' | 'hex' | 'HEX' | 'base64' | 'base64url' | 'base32' | 'base32-lower';

export interface SecretFinding {
  /** Index of the secret in the list given. */
  secret: number;
  form: SecretForm;
  /** Byte offset of the match in the scanned bytes (in the whitespace-stripped copy when `stripped`). */
  offset: number;
  stripped: boolean;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The characters of a radix-2^bits encoding of `secret` placed `shift` bytes into a longer stream that
 * depend on the secret's bytes alone: whatever surrounds the secret, these appear in the encoding.
 */
function alignedCore(secret: Uint8Array, shift: number, bits: number, alphabet: string): string {
  const startBit = shift * 8;
  const endBit = startBit + secret.length * 8;
  let out = '';
  // Index of the first output character fully inside [startBit, endBit).
  for (let c = Math.ceil(startBit / bits); (c + 1) * bits <= endBit; c++) {
    let v = 0;
    for (let b = 0; b < bits; b++) {
      const bit = c * bits + b - startBit;
      v = (v << 1) | ((secret[bit >> 3]! >> (7 - (bit & 7))) & 1);
    }
    out += alphabet[v];
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function needles(secret: Uint8Array): { form: SecretForm; bytes: Uint8Array }[] {
  const enc = new TextEncoder();
  const out: { form: SecretForm; bytes: Uint8Array }[] = [{ form: 'raw', bytes: secret }];
  const h = hex(secret);
  out.push({ form: 'hex', bytes: enc.encode(h) }, { form: 'HEX', bytes: enc.encode(h.toUpperCase()) });
  // base64: 3 alignments; base32: 5. Cores shorter than 4 characters would match by chance.
  for (let shift = 0; shift < 3; shift++) {
    const core = alignedCore(secret, shift, 6, B64);
    const url = alignedCore(secret, shift, 6, B64URL);
    if (core.length >= 4) out.push({ form: 'base64', bytes: enc.encode(core) });
    if (url.length >= 4 && url !== core) out.push({ form: 'base64url', bytes: enc.encode(url) });
  }
  for (let shift = 0; shift < 5; shift++) {
    const core = alignedCore(secret, shift, 5, B32);
    if (core.length >= 4) out.push({ form: 'base32', bytes: enc.encode(core) }, { form: 'base32-lower', bytes: enc.encode(core.toLowerCase()) });
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return -1;
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}

/** `bytes` without CR, LF and JSON's two-character `\n` / `\r` escapes. */
function stripBreaks(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0a || b === 0x0d) continue;
    if (b === 0x5c && (bytes[i + 1] === 0x6e || bytes[i + 1] === 0x72)) {
      i++;
      continue;
    }
    out.push(b);
  }
  return Uint8Array.from(out);
}

export function scanForSecrets(bytes: Uint8Array, secrets: readonly Uint8Array[] | readonly string[]): SecretFinding[] {
  const enc = new TextEncoder();
  const stripped = stripBreaks(bytes);
  const findings: SecretFinding[] = [];
  secrets.forEach((s, i) => {
    const secret = typeof s === 'string' ? enc.encode(s) : s;
    if (secret.length < 4) throw new RangeError(`scanForSecrets: secret ${i} is under 4 bytes; it would match by chance`);
    const seen = new Set<string>();
    for (const n of needles(secret)) {
      for (const [hay, isStripped] of [
        [bytes, false],
        [stripped, true],
      ] as const) {
        const at = indexOf(hay, n.bytes);
        if (at < 0 || seen.has(n.form)) continue;
        seen.add(n.form);
        findings.push({ secret: i, form: n.form, offset: at, stripped: isStripped });
      }
    }
  });
  return findings;
}
