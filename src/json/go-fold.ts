/**
 * One rule: no object of signed metadata may carry a key that Go clients read as one of its fields while
 * we do not (review 15a F1–F3).
 *
 * Why. Go's encoding/json — which go-tuf decodes with, and which notary's docker/go/canonical/json is a
 * fork of — matches a JSON object key to a struct field by the field's name "preferring an exact match
 * but also accepting a case-insensitive match" (encoding/json Unmarshal's documentation; decode.go
 * `object` looks the key up exactly, then by its folded form, fold.go `foldName`, which is
 * bytes.EqualFold: Unicode simple case folding). So `"Threshold"`, `"THRESHOLD"`, `"threſhold"` (U+017F
 * LATIN SMALL LETTER LONG S, which simple-folds to s) and `"\u212Aeytype"` (U+212A KELVIN SIGN, to k) all
 * set the field `threshold` / `keytype`; when two keys reach one field the later one in the object wins,
 * and canonical JSON sorts `"threſhold"` after `"threshold"`. TUF lets metadata carry fields it does not
 * define, and they stay in the signed bytes (TUF 4.2; our readers keep them), so such a key is read as an
 * unknown field here — not shown in a review, absent for an optional field (`consistent_snapshot`,
 * `terminating`) — and as the field itself by every Go client: one file, two readings. Refused instead.
 *
 * Which characters. Every field name is ASCII, and in Unicode's simple case folding (CaseFolding.txt, C
 * and S mappings: what Go's unicode.SimpleFold walks) the only non-ASCII characters whose fold orbit holds
 * an ASCII letter are U+017F (with s, S) and U+212A (with k, K); U+0130 and U+0131 fold to i only in full
 * or Turkic folding, which Go does not use. Hence goFold below: ASCII letters to upper case, those two to
 * S and K, everything else as it is (digits, `_` and other ASCII compare exactly, as in Go). Written out
 * rather than taken from a Unicode case-folding package: those give full folding (C+F), which is not
 * Go's, and the rule is these two characters.
 *
 * Which objects. Only the keys of objects with a fixed set of fields (a struct in Go): never the keys of
 * a map — target paths, key IDs, role names under `roles` or `meta`, hash algorithms, `custom`'s content —
 * which Go compares exactly. Each reader passes its object's field names: ours, and those of go-tuf's
 * and notary's structs for that object (a field only a Go struct has, such as go-tuf's `custom` in root,
 * is read by Go all the same).
 *
 * Cost: one set lookup per key; folding runs only for a key that is not exactly a field and has a field's
 * length. A targets file's usual entries (`{"hashes", "length"}`, json/parse.ts usualEntry) never reach
 * it, and targets.ts targetsReader checks only an entry's unknown fields (an entry with `custom` and no
 * other: nothing). Alone, the check of 100,000 three-field objects takes 3–7 ms.
 */
import { CeremonyError } from '../errors.js';
import type { JsonObject } from './types.js';

/** An object's field names, exact and folded the way Go folds them. */
export interface GoFieldSet {
  readonly exact: ReadonlySet<string>;
  /** goFold(name) → name. */
  readonly folded: ReadonlyMap<string, string>;
  /** The names' lengths: goFold keeps a key's length (U+017F and U+212A are one UTF-16 unit, as s and k), so another length cannot match. */
  readonly lengths: ReadonlySet<number>;
}

/** The field names of one kind of object (ASCII, as every TUF and Notary field name is). */
export function goFieldSet(names: Iterable<string>): GoFieldSet {
  const exact = new Set<string>();
  const folded = new Map<string, string>();
  const lengths = new Set<number>();
  for (const name of names) {
    if (!/^[\x20-\x7e]+$/.test(name)) throw new Error(`field name ${JSON.stringify(name)} is not printable ASCII`);
    const f = goFold(name);
    const other = folded.get(f);
    // Two fields one fold apart would make Go's own reading depend on the struct: none of ours are.
    if (other !== undefined && other !== name) throw new Error(`field names ${other} and ${name} fold to one`);
    exact.add(name);
    folded.set(f, name);
    lengths.add(name.length);
  }
  return { exact, folded, lengths };
}

/**
 * `key` folded as Go's encoding/json folds field names (module comment): a–z to A–Z, U+017F to S, U+212A
 * to K, every other character kept. Two keys fold equal exactly when Go's bytes.EqualFold says they are
 * equal, for keys that can equal an ASCII name at all.
 */
export function goFold(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) out += String.fromCharCode(c - 0x20);
    else if (c === 0x017f) out += 'S';
    else if (c === 0x212a) out += 'K';
    else out += key[i];
  }
  return out;
}

/** The field Go reads `key` as when `key` is not exactly one of `fields`, else undefined. */
export function goFoldedField(key: string, fields: GoFieldSet): string | undefined {
  if (fields.exact.has(key) || !fields.lengths.has(key.length)) return undefined;
  return fields.folded.get(goFold(key));
}

/** `key` as a JSON string with every character outside printable ASCII escaped (`\u017f`): seen, not read as s. */
export function asciiQuoted(key: string): string {
  return JSON.stringify(key).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `path` and one key, as json/fields.ts child() writes it, the key in asciiQuoted form when it is not an identifier. */
function keyPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${asciiQuoted(key)}]`;
}

/**
 * The first key of `obj` that is not exactly a field of `fields` but that Go reads as one, or undefined:
 * for a reader that leaves the refusal to another (targets.ts targetsReader). One set lookup per key.
 */
export function goFoldedKey(obj: JsonObject, fields: GoFieldSet): string | undefined {
  const exact = fields.exact;
  for (const key in obj) {
    if (exact.has(key) || !fields.lengths.has(key.length) || !Object.hasOwn(obj, key)) continue;
    if (fields.folded.has(goFold(key))) return key;
  }
  return undefined;
}

/**
 * Refuse `obj` when one of its keys is not exactly a field of `fields` but Go reads it as one:
 * FIELD_NAME_AMBIGUOUS at that key's path. `path` may be a function: formatted only to refuse.
 */
export function refuseGoFoldedKeys(obj: JsonObject, fields: GoFieldSet, path: string | (() => string)): void {
  const key = goFoldedKey(obj, fields);
  if (key !== undefined) {
    const field = fields.folded.get(goFold(key))!;
    const at = typeof path === 'string' ? path : path();
    const beside = Object.hasOwn(obj, field) ? `, beside ${JSON.stringify(field)} itself (Go takes whichever comes later)` : ` (for this tool the ${JSON.stringify(field)} field is absent)`;
    throw new CeremonyError(
      'FIELD_NAME_AMBIGUOUS',
      `the key ${asciiQuoted(key)} is not the field ${JSON.stringify(field)}, but Go clients (notary, go-tuf: encoding/json matches field names case-insensitively, U+017F as s, U+212A as k) read it as ${JSON.stringify(field)}${beside}: the file would mean one thing here and another to them`,
      { path: keyPath(at, key) },
    );
  }
}
