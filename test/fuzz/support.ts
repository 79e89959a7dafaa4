/**
 * The fuzz suite's shared pieces (issue #12): run counts and seed (fixed and modest in CI; `npm run fuzz`
 * sets FUZZ_RUNS and FUZZ_SEED for a longer run), mutations of valid documents, and the one property
 * every parser must hold — accepted, or refused with a CeremonyError whose code is registered and not
 * INTERNAL; never another exception, never a crash.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { CeremonyError, ERROR_CODES } from '../../src/errors.js';
import { canonicalBytes } from '../../src/json/canonical.js';
import type { JsonValue } from '../../src/json/types.js';

/** Runs per property: modest by default (a few seconds for the whole suite), FUZZ_RUNS in `npm run fuzz`. */
export function runs(base: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? Math.max(base, n) : base;
}

/** Fixed in CI; `FUZZ_SEED=random` (npm run fuzz) draws one and fast-check prints it with any failure. */
export function seed(fixed: number): number {
  const s = process.env.FUZZ_SEED;
  if (s === 'random') return Math.floor(Math.random() * 2 ** 31);
  return s && /^\d+$/.test(s) ? Number(s) : fixed;
}

export function params(fixed: number, base: number): fc.Parameters<unknown> {
  return { seed: seed(fixed), numRuns: runs(base) };
}

/** The property: `f` returns (accepted) or throws a registered, non-internal CeremonyError. */
export function acceptedOrRefused(f: () => unknown): 'accepted' | string {
  try {
    f();
    return 'accepted';
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw new Error(`not a CeremonyError: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
    expect(Object.keys(ERROR_CODES)).toContain(err.code);
    expect(err.code).not.toBe('INTERNAL');
    return err.code;
  }
}

export async function acceptedOrRefusedAsync(f: () => Promise<unknown>): Promise<'accepted' | string> {
  try {
    await f();
    return 'accepted';
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw new Error(`not a CeremonyError: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
    expect(err.code).not.toBe('INTERNAL');
    return err.code;
  }
}

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number };

/** Byte-level mutations (positions as fractions of the length, so one arbitrary fits any document). */
export const byteMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x2d, 0x0a, 0x00, 0xff, 0xc3), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

export function mutateBytes(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  const at = n === 0 ? 0 : m.at % n;
  const b = Buffer.from(bytes);
  switch (m.kind) {
    case 'flip':
      b[at] = b[at]! ^ (1 << m.bit);
      return new Uint8Array(b);
    case 'set':
      b[at] = m.byte;
      return new Uint8Array(b);
    case 'insert':
      return new Uint8Array(Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]));
    case 'delete':
      return new Uint8Array(Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]));
    case 'duplicate':
      return new Uint8Array(Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]));
    case 'truncate':
      return new Uint8Array(b.subarray(0, at));
  }
}

/** A JSON-aware mutation: at a random place in the value, replace, delete or add a member. */
export interface JsonMutation {
  pick: number;
  action: 'replace' | 'delete' | 'add';
  value: JsonValue;
  key: string;
}

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  pick: fc.nat(),
  action: fc.constantFrom('replace' as const, 'delete' as const, 'add' as const),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).filter((v) => !containsFloat(v)) as fc.Arbitrary<JsonValue>,
    fc.constantFrom<JsonValue>(0, -1, 2 ** 53, '', 'root', 'targets', 'ed25519', '__proto__', [], {}, null, true, 'a'.repeat(300)),
  ),
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('signed', 'signatures', 'version', 'keyid', 'sig', '_type', '__proto__', 'constructor', 'threshold', 'keyids')),
});

function containsFloat(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isSafeInteger(v) || Object.is(v, -0);
  if (Array.isArray(v)) return v.some(containsFloat);
  if (v && typeof v === 'object') return Object.values(v).some(containsFloat);
  return false;
}

/** Apply a JSON mutation to a parsed copy; every container in the document is a candidate place. */
export function mutateJson(doc: JsonValue, m: JsonMutation): JsonValue {
  const copy = structuredClone(doc) as JsonValue;
  const places: (JsonValue[] | Record<string, JsonValue>)[] = [];
  const walk = (v: JsonValue) => {
    if (Array.isArray(v)) {
      places.push(v);
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      places.push(v as Record<string, JsonValue>);
      Object.values(v).forEach(walk);
    }
  };
  walk(copy);
  if (places.length === 0) return m.value;
  const place = places[m.pick % places.length]!;
  if (Array.isArray(place)) {
    const i = place.length === 0 ? 0 : m.pick % place.length;
    if (m.action === 'delete') place.splice(i, 1);
    else if (m.action === 'add') place.splice(i, 0, m.value);
    else place[i] = m.value;
  } else {
    const keys = Object.keys(place);
    const key = m.action === 'add' || keys.length === 0 ? m.key : keys[m.pick % keys.length]!;
    if (m.action === 'delete') delete place[key];
    else Object.defineProperty(place, key, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** The mutated document as canonical JSON bytes (what a forger who re-serialises would send). */
export function jsonBytes(v: JsonValue): Uint8Array {
  return canonicalBytes(v, 'json');
}
