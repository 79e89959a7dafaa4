/**
 * Canonical JSON, the bytes every signature covers, in the two dialects our peers sign:
 *
 * - TUF 1.0 (spec §4.2 "canonical JSON", OLPC rules as securesystemslib's `encode_canonical` writes them):
 *   no whitespace, object keys sorted by Unicode code point, integers only, and inside strings only `"`
 *   and `\` are escaped; every other character is written as itself.
 * - Notary (docker/go `canonical/json` as vendored by notary 0.7, used by `json.MarshalCanonical`): the
 *   same escaping — measured: notary signs U+2028/U+2029 raw (test/vectors/notary) — with keys sorted by
 *   their UTF-8 bytes, the same order as code points. It differs from TUF only in the file envelope
 *   (`goHtmlEscape` below).
 *
 * Written by hand because @tufjs/canonical-json sorts keys by UTF-16 code unit (it differs from
 * securesystemslib and Go when keys mix U+E000–U+FFFF with characters outside the BMP) and no package
 * does Notary's dialect; test/vectors checks both against the peers' own output.
 */
import { CeremonyError } from '../errors.js';
import type { JsonValue } from './types.js';

/**
 * `tuf-utf16` is the order @tufjs/canonical-json (and so tuf-js and @tufjs/models) sorts keys in: by
 * UTF-16 code unit. It is accepted when verifying TUF signatures (both spellings encode the same parsed
 * object, so accepting either admits nothing new) and never used to sign.
 *
 * `json` is not a signing dialect: it is how we write TUF files — the canonical key order and no
 * whitespace, but strings escaped as JSON requires (canonical JSON leaves control characters such as the
 * newlines of a PEM key raw, which no JSON parser accepts; python-tuf likewise writes files with
 * `json.dumps`, not with the canonical encoder).
 */
export type CanonicalDialect = 'tuf' | 'tuf-utf16' | 'notary' | 'json';

const encoder = new TextEncoder();

/** Compare by code point: UTF-16 order is wrong only between surrogates and U+E000–U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

const HIGH = /[\ud800-\uffff]/;

export function sortedKeys(obj: object, dialect: CanonicalDialect = 'tuf'): string[] {
  const keys = Object.keys(obj).sort();
  if (dialect === 'tuf-utf16') return keys;
  // The default sort is by UTF-16 code unit; re-sort only when a key could be ordered differently.
  for (const k of keys) {
    if (HIGH.test(k)) return keys.sort(compareCodePoints);
  }
  return keys;
}

const ESCAPES = /["\\]/g;
const ESCAPED: Record<string, string> = { '"': '\\"', '\\': '\\\\' };
const escapeChar = (c: string): string => ESCAPED[c]!;

function encodeString(s: string, dialect: CanonicalDialect): string {
  if (dialect === 'json') return JSON.stringify(s);
  ESCAPES.lastIndex = 0;
  return ESCAPES.test(s) ? `"${s.replace(ESCAPES, escapeChar)}"` : `"${s}"`;
}

// String concatenation (V8 ropes) rather than an array of parts and join(): a 100,000-entry targets file
// would otherwise hold millions of small strings at once (measured: about half the time of verification).
function encode(value: JsonValue, dialect: CanonicalDialect): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value, dialect);
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
        throw new CeremonyError('JSON_NUMBER_INVALID', `canonical JSON has integers only; cannot encode ${value}`);
      }
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      break;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += encode(value[i] as JsonValue, dialect);
    }
    return out + ']';
  }
  if (typeof value !== 'object') throw new CeremonyError('INTERNAL', `cannot encode a ${typeof value} as canonical JSON`);
  let out = '{';
  let first = true;
  for (const key of sortedKeys(value, dialect)) {
    const v = value[key];
    if (v === undefined) continue; // absent, as JSON.stringify treats it
    if (!first) out += ',';
    first = false;
    out += encodeString(key, dialect) + ':' + encode(v, dialect);
  }
  return out + '}';
}

export function canonicalString(value: JsonValue, dialect: CanonicalDialect): string {
  return encode(value, dialect);
}

export function canonicalBytes(value: JsonValue, dialect: CanonicalDialect): Uint8Array {
  return encoder.encode(canonicalString(value, dialect));
}

const HTML = /[<>&\u2028\u2029]/g;
const HTML_ESCAPED: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * Go's `json.Marshal` writes an embedded `json.RawMessage` through `compact(…, escapeHTML=true)`: the
 * canonical `signed` bytes land in a Notary file with `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`,
 * `\u003e`, `\u0026`, `\u2028`, `\u2029`. Those characters can only occur inside strings, so a plain
 * replacement is exact. Signatures still cover the unescaped canonical bytes.
 */
export function goHtmlEscape(json: string): string {
  HTML.lastIndex = 0;
  return HTML.test(json) ? json.replace(HTML, (c) => HTML_ESCAPED[c]!) : json;
}

/** True when some object key in `value` could sort differently by code unit than by code point. */
export function hasOrderAmbiguity(value: JsonValue): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasOrderAmbiguity);
  let high = 0;
  for (const key of Object.keys(value)) {
    if (HIGH.test(key)) high++;
    if (hasOrderAmbiguity(value[key] as JsonValue)) return true;
  }
  return high > 0;
}
