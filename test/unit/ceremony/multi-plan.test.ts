/**
 * Multi-repository plans (src/ceremony/multi-plan.ts, issue #17) and repository folder names
 * (src/ceremony/repository-names.ts): the documented shape parses into one checked plan per repository
 * with shared keys; a single-repository plan reads exactly as before; every refusal is PLAN_INVALID (or
 * INPUT_TOO_LARGE) with the JSON path of the field at fault; plans may name keys made at an earlier
 * ceremony; folder names are unambiguous single path segments.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { MAX_PLAN_TOKEN_KEYS, MAX_REPOSITORIES, parseAnyPlan, type MultiRepositoryPlan } from '../../../src/ceremony/multi-plan.js';
import { parsePlan, plannedKeys } from '../../../src/ceremony/plan.js';
import { repositoryOfSafeName, safeRepositoryName, SAFE_NAME_MAX_BYTES } from '../../../src/ceremony/repository-names.js';
import { intentHash } from '../../../src/ceremony/plan-hash.js';
import { refusal } from '../../support/refusal.js';

const HEX = 'ab'.repeat(32);
const FP = 'cd'.repeat(32);
const bytes = (v: JsonValue): Uint8Array => new TextEncoder().encode(JSON.stringify(v, null, 2));

function multiPlan(): JsonObject {
  return {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repositories: [
      { name: 'registry.example.com/org/app', timestamp: { keyFile: 'app.timestamp.key', sha256: HEX } },
      { name: 'registry.example.com/org/db', timestamp: { keyFile: 'db.timestamp.key', sha256: HEX } },
      { name: 'example.com/tuf/app', profile: 'tuf' },
      { name: 'example.com/tuf/docs', profile: 'tuf' },
    ],
    custodians: [
      { name: 'Alice', token: { serial: '11', label: 'alice' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-alice' },
      { name: 'Bob', token: { serial: '22', label: 'bob' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-bob' },
      { name: 'Carol', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-carol' },
    ],
    root: { threshold: 2, expires: '2036-05-01T00:00:00Z' },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: '2029-05-01T00:00:00Z' },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: '2029-05-01T00:00:00Z' },
    timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: '2027-05-01T00:00:00Z' },
  };
}

function multi(v: JsonObject): MultiRepositoryPlan {
  const p = parseAnyPlan(bytes(v));
  if (p.kind !== 'multi') throw new Error('expected a multi-repository plan');
  return p.plan;
}

function set(obj: JsonObject, path: (string | number)[], value: JsonValue | undefined): JsonObject {
  const copy = structuredClone(obj);
  let cur = copy as Record<string | number, JsonValue>;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, JsonValue>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

function withRepos(names: JsonValue[]): JsonObject {
  return set(set(multiPlan(), ['repositories'], names), ['profile'], 'tuf');
}

describe('multi-repository plans', () => {
  it('the documented shape: one checked plan per repository, shared keys, safe folder names', () => {
    const plan = multi(multiPlan());
    expect(plan.repositories.map((r) => [r.name, r.profile, r.safeName])).toEqual([
      ['registry.example.com/org/app', 'notary', 'registry.example.com%2Forg%2Fapp'],
      ['registry.example.com/org/db', 'notary', 'registry.example.com%2Forg%2Fdb'],
      ['example.com/tuf/app', 'tuf', 'example.com%2Ftuf%2Fapp'],
      ['example.com/tuf/docs', 'tuf', 'example.com%2Ftuf%2Fdocs'],
    ]);
    const [app, , tuf] = plan.repositories;
    expect(app!.plan.repository).toBe('registry.example.com/org/app');
    expect(app!.plan.timestamp.key).toEqual({ kind: 'server', keyFile: 'app.timestamp.key', sha256: HEX });
    expect(tuf!.plan.timestamp.key).toMatchObject({ kind: 'token', custodian: 'Carol', keyLabel: 'timestamp' });
    // One key per (custodian, label), however many repositories list it; root keys first.
    expect(plan.keys.map((k) => k.id)).toEqual(['token:Alice/root-alice', 'token:Bob/root-bob', 'token:Carol/root-carol', 'token:Alice/targets', 'token:Bob/snapshot', 'token:Carol/timestamp']);
  });

  it('a repository given as a bare name takes every top-level field (here: a TUF plan of names)', () => {
    const plan = multi(withRepos(['a/one', 'a/two', 'b']));
    expect(plan.repositories.map((r) => r.plan.repository)).toEqual(['a/one', 'a/two', 'b']);
    expect(new Set(plan.repositories.map((r) => r.profile))).toEqual(new Set(['tuf']));
    expect(plannedKeys(plan.repositories[2]!.plan).map((k) => k.name)).toEqual(['root/Alice', 'root/Bob', 'root/Carol', 'targets', 'snapshot', 'timestamp']);
  });

  it('top-level consistentSnapshot applies to the TUF repositories only', () => {
    const plan = multi(set(multiPlan(), ['consistentSnapshot'], true));
    expect(plan.repositories.map((r) => r.plan.consistentSnapshot)).toEqual([false, false, true, true]);
  });

  it('a repository with its own targets key: a second key, on the token the plan names', () => {
    const own = { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets-db' }, expires: '2029-05-01T00:00:00Z' };
    const plan = multi(set(multiPlan(), ['repositories', 1, 'targets'], own));
    expect(plan.keys.map((k) => k.id)).toContain('token:Bob/targets-db');
    expect(plan.repositories[1]!.plan.targets.key).toMatchObject({ custodian: 'Bob', keyLabel: 'targets-db' });
    expect(plan.repositories[0]!.plan.targets.key).toMatchObject({ custodian: 'Alice', keyLabel: 'targets' });
  });

  it(`${MAX_REPOSITORIES} repositories parse (the documented cap)`, () => {
    const names = Array.from({ length: MAX_REPOSITORIES }, (_, i) => `example.com/r/${i}`);
    const plan = multi(withRepos(names));
    expect(plan.repositories).toHaveLength(MAX_REPOSITORIES);
    expect(plan.keys).toHaveLength(6);
  }, 120_000);

  it('a plan may name a key made at an earlier ceremony (token serial and label, CKA_ID, fingerprint)', () => {
    const v = set(multiPlan(), ['custodians', 0, 'existingKey'], { ckaId: '0a1b', fingerprint: FP });
    const plan = multi(v);
    expect(plan.custodians[0]!.existing).toEqual({ ckaId: '0a1b', fingerprint: FP });
    expect(plan.keys[0]!.source).toMatchObject({ kind: 'token', existing: { ckaId: '0a1b', fingerprint: FP } });
  });
});

describe('single-repository plans are unchanged', () => {
  it('parseAnyPlan reads a single plan as parsePlan does, and its intent hash is the SHA-256 of its bytes', () => {
    const single = set(set(multiPlan(), ['repositories'], undefined), ['repository'], 'registry.example.com/org/app');
    const b = bytes(set(single, ['timestamp'], { keyFile: 'timestamp.key', sha256: HEX }));
    const any = parseAnyPlan(b);
    expect(any.kind).toBe('single');
    expect(any.plan).toEqual(parsePlan(b));
    expect(intentHash(b).sha256).toBe(createHash('sha256').update(b).digest('hex'));
  });

  it('a single plan over 256 KiB is still too large', () => {
    const single = set(set(multiPlan(), ['repositories'], undefined), ['repository'], 'x');
    const padded = new TextEncoder().encode(JSON.stringify(single) + ' '.repeat(300 * 1024));
    expect(refusal(() => parseAnyPlan(padded)).code).toBe('INPUT_TOO_LARGE');
  });

  it('a single plan may name an earlier key too', () => {
    const single = set(set(set(multiPlan(), ['repositories'], undefined), ['repository'], 'example.com/x'), ['profile'], 'tuf');
    const plan = parsePlan(bytes(set(single, ['targets', 'key', 'existingKey'], { ckaId: 'ff', fingerprint: FP })));
    expect(plan.targets.key).toMatchObject({ existing: { ckaId: 'ff', fingerprint: FP } });
  });
});

describe('refused multi-repository plans', () => {
  const names = (list: JsonValue[]) => withRepos(list);
  const tooMany = Array.from({ length: MAX_REPOSITORIES + 1 }, (_, i) => `r/${i}`);
  const manyKeys = Array.from({ length: MAX_PLAN_TOKEN_KEYS }, (_, i) => ({ name: `r/${i}`, targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: `t-${i}` }, expires: '2029-05-01T00:00:00Z' } }));
  const cases: [string, JsonObject, string, string][] = [
    ['no repositories', names([]), '$.repositories', 'at least 1'],
    ['too many repositories', names(tooMany), '$.repositories', `at most ${MAX_REPOSITORIES}`],
    ['a duplicate GUN', names(['a/b', 'c', 'a/b']), '$.repositories[2]', 'named twice'],
    ['a duplicate ignoring case', names(['Org/App', 'org/app']), '$.repositories[1]', 'ignoring case'],
    ['a duplicate as object and string', names([{ name: 'a' }, 'a']), '$.repositories[1]', 'named twice'],
    ['a ".." segment', names(['org/../etc']), '$.repositories[0]', '".."'],
    ['a "." segment', names(['org/./app']), '$.repositories[0]', '"."'],
    ['a leading slash', names(['/etc/passwd']), '$.repositories[0]', 'no empty'],
    ['an empty segment', names(['a//b']), '$.repositories[0]', 'no empty'],
    ['a space', names(['a b']), '$.repositories[0]', 'printable ASCII'],
    ['a non-ASCII name', names(['ex\u00e4mple/app']), '$.repositories[0]', 'printable ASCII'],
    ['a name too long for a folder', names([`a/${'%'.repeat(100)}`]), '$.repositories[0]', `more than ${SAFE_NAME_MAX_BYTES}`],
    ['an unknown entry field', names([{ name: 'a', custodians: [] }]), '$.repositories[0].custodians', 'unknown field'],
    ['an entry without a name', names([{ profile: 'tuf' }]), '$.repositories[0].name', 'required'],
    ['repository and repositories both', set(multiPlan(), ['repository'], 'x'), '$.repository', 'unknown field'],
    // `shamir` is taken at the top level (one split key for every repository: multi-shamir.test.ts), not per repository.
    ['shamir in a repository', set(multiPlan(), ['repositories', 2], { name: 'example.com/tuf/app', profile: 'tuf', shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' } }), '$.repositories[2].shamir', 'unknown field'],
    ['a Notary repository without its server timestamp key', set(multiPlan(), ['repositories', 3], 'example.com/tuf/docs'), '$.timestamp', 'repository "example.com/tuf/docs"'],
    ['a bad override, mapped to the entry', set(multiPlan(), ['repositories', 0, 'timestamp', 'sha256'], 'xx'), '$.repositories[0].timestamp.sha256', 'registry.example.com/org/app'],
    ['an override breaking its profile', set(multiPlan(), ['repositories', 2, 'profile'], 'nope'), '$.repositories[2].profile', '"notary" or "tuf"'],
    ['P-384 in a TUF repository', set(set(multiPlan(), ['custodians', 0, 'keyAlgorithm'], 'ecdsa-p384'), ['repositories', 3], { name: 'd', profile: 'tuf' }), '$.custodians[0].keyAlgorithm', 'repository "example.com/tuf/app"'],
    [
      'one label for two roles',
      set(set(multiPlan(), ['repositories', 2, 'targets'], { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: '2029-05-01T00:00:00Z' }), ['repositories', 2, 'snapshot'], {
        key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot-tuf' },
        expires: '2029-05-01T00:00:00Z',
      }),
      '$.repositories[2].targets.key.keyLabel',
      'one key holds one role',
    ],
    [
      'one label, two algorithms',
      set(set(multiPlan(), ['repositories', 2, 'targets'], { key: { custodian: 'Alice', keyAlgorithm: 'ed25519', keyLabel: 'targets' }, expires: '2029-05-01T00:00:00Z' }), ['repositories', 0, 'targets'], {
        key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' },
        expires: '2029-05-01T00:00:00Z',
      }),
      '$.repositories[2].targets.key.keyAlgorithm',
      'one label, one key',
    ],
    ['too many token keys', set(withRepos(manyKeys), ['profile'], 'tuf'), '$.repositories', `more than ${MAX_PLAN_TOKEN_KEYS}`],
    ['an earlier key on a token not pinned', set(multiPlan(), ['custodians', 2, 'existingKey'], { ckaId: '01', fingerprint: FP }), '$.custodians[2].existingKey', 'serial'],
    ['an earlier key without a fingerprint', set(multiPlan(), ['custodians', 0, 'existingKey'], { ckaId: '01' }), '$.custodians[0].existingKey.fingerprint', 'required'],
    ['an earlier key with a bad CKA_ID', set(multiPlan(), ['custodians', 0, 'existingKey'], { ckaId: '0G', fingerprint: FP }), '$.custodians[0].existingKey.ckaId', 'CKA_ID'],
  ];
  it.each(cases)('%s', (_what, plan, path, words) => {
    const err = refusal(() => parseAnyPlan(bytes(plan)));
    expect(err.code).toBe('PLAN_INVALID');
    expect(err.path).toBe(path);
    expect(err.message).toContain(words);
  });
});

describe('one earlier key, one planned key (review L5)', () => {
  const FP2 = 'ef'.repeat(32);
  const FP3 = '12'.repeat(32);
  const earlier = (ckaId: string, fingerprint: string) => ({ ckaId, fingerprint });
  const held = (custodian: string, keyLabel: string, existingKey?: { ckaId: string; fingerprint: string }) => ({
    key: { custodian, keyAlgorithm: 'ecdsa-p256', keyLabel, ...(existingKey ? { existingKey } : {}) },
    expires: '2029-05-01T00:00:00Z',
  });
  /** A single TUF plan: Alice and Bob pinned by serial and label, Carol chosen on the day. */
  const single = (): JsonObject => set(set(set(multiPlan(), ['repositories'], undefined), ['repository'], 'example.com/x'), ['profile'], 'tuf');
  const aliceRoot = (v: JsonObject, fp = FP, ckaId = '01'): JsonObject => set(v, ['custodians', 0, 'existingKey'], earlier(ckaId, fp));

  const cases: [string, JsonObject, string, string[]][] = [
    // One repository (plan.ts readPlan).
    ['single: Alice\'s root key and her targets key name one fingerprint', set(aliceRoot(single()), ['targets'], held('Alice', 'targets', earlier('02', FP))), '$.targets.key.existingKey.fingerprint', ['"root-alice"', '$.custodians[0].existingKey', 'one key holds one role']],
    ['single: two custodians\' root keys name one fingerprint', set(aliceRoot(single()), ['custodians', 1, 'existingKey'], earlier('02', FP)), '$.custodians[1].existingKey.fingerprint', ['Alice\'s key "root-alice"', 'one key is one custodian\'s']],
    ['single: Bob\'s snapshot key names Alice\'s targets key\'s fingerprint', set(set(single(), ['targets'], held('Alice', 'targets', earlier('02', FP))), ['snapshot'], held('Bob', 'snapshot', earlier('05', FP))), '$.snapshot.key.existingKey.fingerprint', ['Alice\'s key "targets"', '$.targets.key.existingKey']],
    ['single: one CKA_ID on Alice\'s token, two fingerprints', set(aliceRoot(single()), ['targets'], held('Alice', 'targets', earlier('01', FP2))), '$.targets.key.existingKey.ckaId', ['CKA_ID 01', '"root-alice"']],
    // Many repositories (multi-plan.ts readMultiPlan).
    ['multi: a repository\'s own targets key names Alice\'s root key (the review\'s case)', set(aliceRoot(multiPlan()), ['repositories', 2, 'targets'], held('Alice', 'targets-b', earlier('01', FP))), '$.repositories[2].targets.key.existingKey.fingerprint', ['"root-alice"', 'repository "example.com/tuf/app"']],
    ['multi: two repositories\' own keys, two custodians, one fingerprint', set(set(multiPlan(), ['repositories', 2, 'targets'], held('Alice', 't-2', earlier('03', FP))), ['repositories', 3, 'targets'], held('Bob', 't-3', earlier('04', FP))), '$.repositories[3].targets.key.existingKey.fingerprint', ['Alice\'s key "t-2"', '$.repositories[2].targets.key.existingKey', 'one key is one custodian\'s']],
    ['multi: two repositories\' own keys, one CKA_ID on Alice\'s token', set(set(multiPlan(), ['repositories', 2, 'targets'], held('Alice', 't-2', earlier('03', FP))), ['repositories', 3, 'targets'], held('Alice', 't-3', earlier('03', FP2))), '$.repositories[3].targets.key.existingKey.ckaId', ['CKA_ID 03', 'Alice\'s key "t-2"']],
    ['multi: a repository\'s own key names the plan\'s shared targets key', set(set(multiPlan(), ['targets'], held('Alice', 'targets', earlier('03', FP))), ['repositories', 2, 'targets'], held('Bob', 't-2', earlier('09', FP))), '$.repositories[2].targets.key.existingKey.fingerprint', ['Alice\'s key "targets"', '$.targets.key.existingKey']],
  ];
  it.each(cases)('%s → PLAN_INVALID at the second', (_what, plan, path, words) => {
    const err = refusal(() => parseAnyPlan(bytes(plan)));
    expect(err.code).toBe('PLAN_INVALID');
    expect(err.path).toBe(path);
    for (const w of words) expect(err.message).toContain(w);
  });

  it('keys shared by label stay one key: root keys in every repository, the top-level targets key, one override named by two repositories', () => {
    let v = aliceRoot(multiPlan());
    v = set(v, ['custodians', 1, 'existingKey'], earlier('01', FP2)); // CKA_IDs repeat across tokens (PIV slot 9a is 01 on every YubiKey)
    v = set(v, ['targets'], held('Alice', 'targets', earlier('02', FP3)));
    v = set(v, ['repositories', 2, 'targets'], held('Bob', 'targets-tuf', earlier('07', 'aa'.repeat(32))));
    v = set(v, ['repositories', 3, 'targets'], held('Bob', 'targets-tuf', earlier('07', 'aa'.repeat(32))));
    const plan = multi(v);
    expect(plan.keys.map((k) => k.id)).toEqual(['token:Alice/root-alice', 'token:Bob/root-bob', 'token:Carol/root-carol', 'token:Alice/targets', 'token:Bob/snapshot', 'token:Bob/targets-tuf', 'token:Carol/timestamp']);
    expect(plan.repositories.map((r) => (r.plan.targets.key.kind === 'token' ? r.plan.targets.key.existing?.fingerprint : undefined))).toEqual([FP3, FP3, 'aa'.repeat(32), 'aa'.repeat(32)]);
  });

  it('a single plan with distinct earlier keys is accepted, one CKA_ID on two custodians\' tokens included', () => {
    let v = set(aliceRoot(single()), ['custodians', 1, 'existingKey'], earlier('01', FP2));
    v = set(v, ['targets'], held('Alice', 'targets', earlier('02', FP3)));
    const plan = parsePlan(bytes(v));
    expect(plan.custodians.map((c) => c.existing?.fingerprint)).toEqual([FP, FP2, undefined]);
    expect(plan.targets.key).toMatchObject({ existing: { ckaId: '02', fingerprint: FP3 } });
  });
});

describe('repository folder names', () => {
  it.each([
    ['registry.example.com/org/app', 'registry.example.com%2Forg%2Fapp'],
    ['app', 'app'],
    ['.hidden', '%2Ehidden'],
    ['trailing.', 'trailing%2E'],
    ['CON', '%43ON'],
    ['nul.txt', '%6Eul.txt'],
    ['a%2Fb', 'a%252Fb'],
    ['a:b*c?', 'a%3Ab%2Ac%3F'],
    ['a\\..\\b', 'a%5C..%5Cb'],
  ])('%s → %s, and back', (name, safe) => {
    expect(safeRepositoryName(name)).toBe(safe);
    expect(repositoryOfSafeName(safe)).toBe(name);
    expect(safe).not.toMatch(/[/\\]/);
    expect(['.', '..']).not.toContain(safe);
  });

  it('distinct names never share a folder (percent-decoding gives the name back)', () => {
    const names = ['a/b', 'a%2Fb', 'a_b', 'a-b', 'a.b', 'A/b', 'a/b.', '.a/b'];
    const safe = names.map((n) => safeRepositoryName(n));
    expect(new Set(safe).size).toBe(names.length);
    for (const s of safe) expect(names).toContain(decodeURIComponent(s));
  });

  it.each([['..'], ['a/b'], ['%zz'], ['%61'], ['.x']])('%s is not a folder name this tool writes', (folder) => {
    expect(refusal(() => repositoryOfSafeName(folder)).code).toBe('REPOSITORY_NAME_UNSAFE');
  });
});
