/**
 * Strict readers for the ceremony's own closed formats — the plan, the site bindings, the state file —
 * over JSON parsed by src/json/parse.ts (duplicate keys, floats and lone surrogates are already refused
 * there). Every refusal carries the caller's code (PLAN_INVALID, BINDINGS_INVALID, CEREMONY_STATE_INVALID)
 * and the JSON path of the field, as boulder's ceremony config does: one reviewed file, unknown fields
 * refused, every field checked, an error that says where.
 *
 * Hand-written rather than zod so the codes and paths are exactly the ones documented; the inputs are
 * small (a plan is a few kilobytes).
 */
import { CeremonyError, type ErrorCode } from '../errors.js';
import { child, describe, isObject, UNSHOWN_CHARS } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';

// C0/C1 controls, DEL and the invisible characters that make a printed plan show something other than
// what is stored (bidi overrides, zero-width characters, line separators, BOM): src/json/fields.ts
// UNSHOWN_CHARS, the one list every shown-text check uses.
const INVISIBLE = UNSHOWN_CHARS;

export class StrictReader {
  constructor(readonly code: ErrorCode) {}

  fail(path: string, message: string): never {
    throw new CeremonyError(this.code, message, { path });
  }

  /** An object with exactly the fields of `required` and any of `optional`; anything else is refused. */
  object(value: JsonValue | undefined, path: string, required: readonly string[], optional: readonly string[] = []): JsonObject {
    if (!isObject(value)) this.fail(path, `expected an object, found ${describe(value)}`);
    const known = new Set([...required, ...optional]);
    for (const key of Object.keys(value)) {
      if (!known.has(key)) this.fail(child(path, key), `unknown field ${JSON.stringify(key)}${suggest(key, known)}`);
    }
    for (const key of required) {
      if (value[key] === undefined) this.fail(child(path, key), `the field ${JSON.stringify(key)} is required`);
    }
    return value;
  }

  /** An object whose keys are data (names), not fields. */
  record(value: JsonValue | undefined, path: string, max: number): JsonObject {
    if (!isObject(value)) this.fail(path, `expected an object, found ${describe(value)}`);
    if (Object.keys(value).length > max) this.fail(path, `expected at most ${max} entries`);
    return value;
  }

  array(value: JsonValue | undefined, path: string, min: number, max: number): JsonValue[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, found ${describe(value)}`);
    if (value.length < min) this.fail(path, `expected at least ${min} item${min === 1 ? '' : 's'}, found ${value.length}`);
    if (value.length > max) this.fail(path, `expected at most ${max} items, found ${value.length}`);
    return value;
  }

  /** A non-empty string of at most `max` characters with no control or invisible characters. */
  text(value: JsonValue | undefined, path: string, max: number): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, found ${describe(value)}`);
    if (value.length === 0) this.fail(path, 'expected a non-empty string');
    if (value.length > max) this.fail(path, `expected at most ${max} characters, found ${value.length}`);
    if (INVISIBLE.test(value)) this.fail(path, 'control or invisible formatting characters are not allowed');
    if (value.trim() !== value) this.fail(path, 'leading or trailing spaces are not allowed');
    return value;
  }

  /** Exactly one of `allowed`. */
  oneOf<T extends string>(value: JsonValue | undefined, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(path, `expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, found ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describe(value)}`);
    }
    return value as T;
  }

  integer(value: JsonValue | undefined, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(path, `expected a whole number, found ${describe(value)}`);
    if (value < min || value > max) this.fail(path, `expected a whole number from ${min} to ${max}, found ${value}`);
    return value;
  }

  boolean(value: JsonValue | undefined, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, `expected true or false, found ${describe(value)}`);
    return value;
  }

  /** A SHA-256 as 64 lower-case hex digits. */
  sha256(value: JsonValue | undefined, path: string): string {
    if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
      this.fail(path, `expected a SHA-256 as 64 lower-case hex digits, found ${typeof value === 'string' ? `${value.length} characters` : describe(value)}`);
    }
    return value;
  }

  literal<T extends string | number>(value: JsonValue | undefined, path: string, expected: T, what: string): T {
    if (value !== expected) this.fail(path, `expected ${JSON.stringify(expected)} (${what}), found ${typeof value === 'string' || typeof value === 'number' ? JSON.stringify(value) : describe(value)}`);
    return expected;
  }
}

/** "did you mean" for a misspelt field name: the closest known name at edit distance ≤ 2. */
function suggest(key: string, known: ReadonlySet<string>): string {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best ? `; did you mean ${JSON.stringify(best)}?` : '';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
