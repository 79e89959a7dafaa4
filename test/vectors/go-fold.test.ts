/**
 * src/json/go-fold.ts against Go itself: test/vectors/go-fold.json records, for 733 keys (every field name
 * of TUF / Notary metadata objects, its case variants, U+017F / U+212A spellings, and look-alikes that
 * must not match), which struct field Go's encoding/json decodes the key into (gen_go_fold.go, Go 1.19:
 * the fold.go that notary's canonical/json fork copies). goFoldedField must name the same field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goFieldSet, goFoldedField } from '../../src/json/go-fold.js';

const file = JSON.parse(readFileSync(new URL('./go-fold.json', import.meta.url), 'utf8')) as { vectors: { key: string; field: string | null }[] };
const NAMES = [
  'signed', 'signatures', 'keyid', 'sig', 'method', '_type', 'version', 'expires', 'spec_version', 'custom', 'consistent_snapshot', 'keys', 'roles',
  'keyids', 'threshold', 'targets', 'delegations', 'length', 'hashes', 'name', 'terminating', 'paths', 'path_hash_prefixes', 'meta', 'keytype',
  'scheme', 'keyid_hash_algorithms', 'keyval', 'public', 'private',
];
const ALL = goFieldSet(NAMES);

describe('go-fold vectors (Go encoding/json)', () => {
  it('cover folded, exact and non-matching keys', () => {
    expect(file.vectors.length).toBeGreaterThan(700);
    expect(file.vectors.some((v) => v.field !== null && v.key !== v.field && /[\u017f\u212a]/.test(v.key))).toBe(true);
    expect(file.vectors.filter((v) => v.field === null).length).toBeGreaterThan(300);
  });

  it('goFoldedField reads every key as Go does', () => {
    const wrong = file.vectors.filter((v) => (ALL.exact.has(v.key) ? v.key : (goFoldedField(v.key, ALL) ?? null)) !== v.field);
    expect(wrong).toEqual([]);
  });
});
