/**
 * Typed readers over parsed JSON: the "schema into new objects" step for untrusted metadata.
 *
 * Hand-written rather than zod for the metadata model because a 100,000-entry targets file goes through
 * here on every verification (PRODUCT.md §7); zod guards IPC payloads and plans, where sizes are small.
 * Each reader names the JSON path of what it refuses.
 */
import { CeremonyError, type ErrorCode } from '../errors.js';
import type { JsonObject, JsonValue } from './types.js';

export function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fail(path: string, expected: string, value: JsonValue | undefined, code: ErrorCode = 'SCHEMA_INVALID'): never {
  throw new CeremonyError(code, `expected ${expected}, found ${describe(value)}`, { path });
}

/** JSON path segment: `.name` when it is an identifier, `["…"]` otherwise (target names have slashes). */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: JsonValue | undefined, path: string): JsonObject {
  if (!isObject(value)) fail(path, 'an object', value);
  return value;
}

export function asArray(value: JsonValue | undefined, path: string): JsonValue[] {
  if (!Array.isArray(value)) fail(path, 'an array', value);
  return value;
}

export function asString(value: JsonValue | undefined, path: string): string {
  if (typeof value !== 'string') fail(path, 'a string', value);
  return value;
}

export function asNonEmptyString(value: JsonValue | undefined, path: string): string {
  const s = asString(value, path);
  if (s.length === 0) throw new CeremonyError('SCHEMA_INVALID', 'expected a non-empty string', { path });
  return s;
}

export function asBoolean(value: JsonValue | undefined, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'a boolean', value);
  return value;
}

/** Integers only (canonical JSON); `min` guards versions (≥ 1), lengths (≥ 0), thresholds (≥ 1). */
export function asInteger(value: JsonValue | undefined, path: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, 'an integer', value);
  if (value < min) throw new CeremonyError('SCHEMA_INVALID', `expected an integer ≥ ${min}, found ${value}`, { path });
  return value;
}

export function asStringArray(value: JsonValue | undefined, path: string): string[] {
  const arr = asArray(value, path);
  const out: string[] = new Array(arr.length);
  for (let i = 0; i < arr.length; i++) out[i] = asString(arr[i], child(path, i));
  return out;
}

/**
 * Set an own property even when the key is `__proto__` (plain assignment would switch the prototype).
 * Parsed objects are plain objects — V8 keeps prototype-free ones in slow dictionary mode, which cost a
 * quarter of the time of verifying a large targets file — so every write of an untrusted key goes here.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

const NONE: JsonObject = Object.freeze({}) as JsonObject;

/** Keys of `obj` that are not in `known`, with their values: unknown signed fields are preserved. */
export function unrecognizedFields(obj: JsonObject, known: ReadonlySet<string>): JsonObject {
  let out: JsonObject | undefined;
  // for…in over own keys (the order of Object.keys) without an array per call: it runs once per target.
  for (const key in obj) {
    if (!Object.hasOwn(obj, key) || known.has(key)) continue;
    out ??= {};
    setOwn(out, key, obj[key] as JsonValue);
  }
  // Most objects have none: one shared frozen empty object instead of one allocation per target.
  return out ?? NONE;
}

/** Refuse fields we do not know, where a format is closed (our own bundles, plans). */
export function refuseUnknownFields(obj: JsonObject, known: ReadonlySet<string>, path: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) throw new CeremonyError('SCHEMA_INVALID', `unknown field ${JSON.stringify(key)}`, { path: child(path, key) });
  }
}

/**
 * Characters that change how a terminal or a text view shows the text around them rather than showing
 * themselves:
 * - C0 and C1 controls and DEL (`\p{Cc}`: ESC starts ANSI sequences such as `\u001b[1A\u001b[2K`, which
 *   move up and erase a line; U+009B is a one-character CSI);
 * - every Unicode Default_Ignorable_Code_Point (DerivedCoreProperties.txt; Unicode TR36 §2, UAX #44): the
 *   bidi marks, embeddings, overrides and isolates (U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069:
 *   "Trojan Source", CVE-2021-42574, reorder what is read), zero-width characters U+200B–U+200D, word
 *   joiner and invisible operators U+2060–U+2064, the byte-order mark U+FEFF — and the ones that make two
 *   different names look the same without being controls: soft hyphen U+00AD, combining grapheme joiner
 *   U+034F, Hangul fillers U+115F/U+1160/U+3164/U+FFA0, Mongolian variation selectors U+180B–U+180F,
 *   variation selectors U+FE00–U+FE0F and U+E0100–U+E01EF, tag characters U+E0000–U+E007F, and the
 *   unassigned code points reserved as ignorable (U+2065, U+FFF0–U+FFF8, U+E0080–U+E0FFF). The property is
 *   the regular expression engine's own (`\p{Default_Ignorable_Code_Point}`, the Unicode version of the
 *   runtime's ICU), so the set is the standard's, not a hand-kept copy;
 * - the line and paragraph separators U+2028/U+2029, and lone surrogates (not text at all).
 *
 * The one definition: file names in IPC refusals (electron/shared/schemas.ts) and PKCS#11 library paths
 * (electron/main/module-choices.ts) use it too. Not global, so `test` keeps no state between calls. The
 * `u` flag: a match may be two UTF-16 units (a tag character), which the escapes below write as two.
 */
export const UNSHOWN_CHARS = /[\p{Cc}\p{Default_Ignorable_Code_Point}\u2028\u2029\ud800-\udfff]/u;
const UNSHOWN = UNSHOWN_CHARS;
const UNSHOWN_ALL = new RegExp(UNSHOWN.source, 'gu');

/** `\uXXXX` for each UTF-16 unit of `ch` (JSON's escape; a character outside the BMP is two). */
function escapeUnits(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

function codePointText(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * A string that will be shown to a person (a signer's or key's name, a repository name in a review):
 * 1 to `max` characters (UTF-16 units) and none of the characters that can hide or reorder what is
 * shown (UNSHOWN above). Returns the value unchanged; refuses with `code` and `path` otherwise.
 */
export function checkShownText(value: string, path: string, max: number, code: ErrorCode = 'SCHEMA_INVALID'): string {
  if (value.length === 0) throw new CeremonyError(code, 'expected a non-empty string', { path });
  if (value.length > max) throw new CeremonyError(code, `expected at most ${max} characters, found ${value.length}`, { path });
  const bad = UNSHOWN.exec(value);
  if (bad) {
    throw new CeremonyError(code, `character ${codePointText(bad[0])} at position ${bad.index} is not allowed in text shown to people (control, bidi, invisible — Unicode default-ignorable — or separator characters can hide or reorder what is displayed)`, { path });
  }
  return value;
}

/** Whether `value` has none of the characters checkShownText refuses. */
export function isShownText(value: string): boolean {
  return !UNSHOWN.test(value);
}

/**
 * `value` as a quoted JSON string in which every character checkShownText refuses is written as a
 * `\uXXXX` escape (JSON.stringify alone leaves C1 controls, bidi controls and U+2028/U+2029 raw): for
 * untrusted text printed in a review, such as a target path from a previous targets.json.
 */
export function quoteShown(value: string): string {
  return JSON.stringify(value).replace(UNSHOWN_ALL, escapeUnits);
}

/** UNSHOWN_CHARS, the line feed allowed: for text that may hold several lines (notes, a terminal's output). */
export const UNSHOWN_CHARS_MULTILINE = new RegExp(`(?!\n)(?:${UNSHOWN.source})`, 'u');
const TERMINAL_UNSAFE_ALL = new RegExp(UNSHOWN_CHARS_MULTILINE.source, 'gu');

/**
 * Text for a terminal: every character checkShownText refuses, except the line feed that separates
 * lines, written as a `\uXXXX` escape — so no name or message from a file (escape sequences, bidi
 * overrides, C1 controls) can move the cursor or reorder what a person reads. JSON stays valid JSON.
 */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_UNSAFE_ALL, escapeUnits);
}

const TERMINAL_UNSAFE = UNSHOWN_CHARS_MULTILINE;

/**
 * A value on its way to a screen (the app's IPC results: electron/main/ipc-register.ts): every string in
 * it, keys included, by displaySafeString's rule, so a name from foreign metadata — a TUF role name or
 * target path (arbitrary strings, TUF 4.5), a repository, a key label, a message quoting one — shows a
 * bidi override, a zero-width or C1 character as a visible `\u202e` instead of reordering or hiding text,
 * as the CLI prints it. Plain objects and arrays are copied only where a string changes; other objects
 * (byte arrays) are kept as they are. A label holding such a character that the screen sends back (a token
 * choice) then names nothing and is refused as not found: never another token (displaySafeString).
 */
export function displaySafeValue<T>(value: T): T {
  return safeValue(value, 0) as T;
}

/**
 * One string on its way to a screen. A line (no line feed) — a name, a label, a path, which a screen may
 * send back to choose a token, a key or a transcript — is shown by shownOrQuoted's rule: as it is, or as a
 * JSON string with every hiding character escaped. That is one-to-one: the text `a\u200bb` (typed out) and
 * the name a<U+200B>b cannot both arrive as `a\u200bb`, so a label sent back picks the one shown or none,
 * never another (an in-place escape would make the two one). Text of several lines (a message, a note) is
 * escaped in place, as terminalSafe prints it: it is read, never sent back.
 */
function displaySafeString(value: string): string {
  if (value.includes('\n')) return TERMINAL_UNSAFE.test(value) ? terminalSafe(value) : value;
  return shownOrQuoted(value);
}

function safeValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return displaySafeString(value);
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = safeValue(value[i], depth + 1);
      if (v !== value[i]) (out ??= [...value])[i] = v;
    }
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  // Keys too: a view may be keyed by role name (installed versions of delegated roles).
  const entries = Object.keys(value).map((key): [string, unknown, boolean] => {
    const v0 = (value as Record<string, unknown>)[key];
    const k = safeValue(key, depth) as string;
    const v = safeValue(v0, depth + 1);
    return [k, v, k !== key || v !== v0];
  });
  if (!entries.some(([, , changed]) => changed)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * `value` as it is when nothing in it can hide text, else quoteShown(value). A value that itself starts
 * with `"` is quoted too: else the name `"a\u200bb"` (typed out, every character shown) would print
 * exactly as the name a<U+200B>b does, and two roles would read as one. So the output is either shown
 * text not starting with `"`, or a JSON string: one output, one name.
 */
export function shownOrQuoted(value: string): string {
  return isShownText(value) && !value.startsWith('"') ? value : quoteShown(value);
}
