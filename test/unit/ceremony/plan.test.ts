/**
 * Ceremony plans (src/ceremony/plan.ts): the documented example parses; every refusal is the documented
 * code with the JSON path of the field at fault (a table of invalid plans); dates are checked against the
 * clock when the ceremony starts; the intent hash is the SHA-256 of the file's bytes.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../src/errors.js';
import { groupWords } from '../../../src/crypto/digest-words.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { checkPlanDates, parsePlan, plannedKeys } from '../../../src/ceremony/plan.js';
import { describeIntentHash, intentHash } from '../../../src/ceremony/plan-hash.js';
import { rehearsalPlan } from '../../../src/ceremony/rehearsal-plan.js';
import { refusal } from '../../support/refusal.js';

const HEX = 'ab'.repeat(32);

/** The example of the plan.ts file comment. */
function notaryPlan(): JsonObject {
  return {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repository: 'registry.example.com/org/app',
    custodians: [
      { name: 'Alice', token: { serial: '12345678' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-2026-alice' },
      { name: 'Bob', token: { serial: '23456789' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-2026-bob' },
      { name: 'Carol', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-2026-carol' },
    ],
    root: { threshold: 2, expires: '2036-05-01T00:00:00Z' },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets-2026' }, expires: '2029-05-01T00:00:00Z' },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot-2026' }, expires: '2029-05-01T00:00:00Z' },
    timestamp: { keyFile: 'timestamp.key', sha256: HEX },
    shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
  };
}

function tufPlan(): JsonObject {
  const p = notaryPlan();
  p.profile = 'tuf';
  p.repository = 'example.com/tuf/repo';
  p.snapshot = { key: { custodian: 'Bob', keyAlgorithm: 'ed25519', keyLabel: 'snapshot-2026' }, expires: '2029-05-01T00:00:00Z' };
  p.timestamp = { key: { custodian: 'Carol', keyAlgorithm: 'ed25519', keyLabel: 'timestamp-2026' }, expires: '2026-12-01T00:00:00Z' };
  p.shamir = { threshold: 2, shares: 3, keyAlgorithm: 'ed25519' };
  p.consistentSnapshot = true;
  return p;
}

const bytes = (v: JsonValue | string): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v, null, 2));

function set(obj: JsonObject, path: (string | number)[], value: JsonValue | undefined): JsonObject {
  const copy = structuredClone(obj);
  let cur = copy as Record<string | number, JsonValue>;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, JsonValue>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

describe('valid plans', () => {
  it('the documented Notary example parses, with every key it plans in order', () => {
    const plan = parsePlan(bytes(notaryPlan()));
    expect(plan.profile).toBe('notary');
    expect(plan.custodians.map((c) => c.name)).toEqual(['Alice', 'Bob', 'Carol']);
    expect(plan.custodians[2]!.token).toBeNull();
    expect(plan.root).toEqual({ threshold: 2, expires: { text: '2036-05-01T00:00:00Z', date: new Date('2036-05-01T00:00:00Z') } });
    expect(plan.timestamp.key).toEqual({ kind: 'server', keyFile: 'timestamp.key', sha256: HEX });
    expect(plan.consistentSnapshot).toBe(false);
    expect(plannedKeys(plan).map((k) => k.name)).toEqual(['root/Alice', 'root/Bob', 'root/Carol', 'root/shamir', 'targets', 'snapshot', 'timestamp']);
  });

  it('a TUF plan: every role held, consistent snapshots allowed', () => {
    const plan = parsePlan(bytes(tufPlan()));
    expect(plan.timestamp.key).toMatchObject({ kind: 'token', custodian: 'Carol', keyAlgorithm: 'ed25519' });
    expect(plan.consistentSnapshot).toBe(true);
  });

  it('a Notary server-managed snapshot is a server key', () => {
    const plan = parsePlan(bytes(set(notaryPlan(), ['snapshot'], { keyFile: 'snapshot.key', sha256: HEX })));
    expect(plan.snapshot.key.kind).toBe('server');
  });

  it('publishers’ targets keys are listed after the ceremony’s targets key, under stable names', () => {
    // Publishers publish without the snapshot key: the server holds it (src/ceremony/publisher-lockout.ts).
    const plan = parsePlan(bytes(set(set(notaryPlan(), ['snapshot'], { keyFile: 'snapshot.key', sha256: HEX }), ['targets', 'publishers'], [{ name: 'CI', keyFile: 'ci.pem', sha256: HEX }])));
    expect(plan.targets.publishers).toEqual([{ kind: 'publisher', name: 'CI', keyFile: 'ci.pem', sha256: HEX }]);
    const keys = plannedKeys(plan);
    expect(keys.filter((k) => k.role === 'targets').map((k) => [k.name, k.path])).toEqual([
      ['targets', '$.targets.key'],
      ['targets/publisher/CI', '$.targets.publishers[0]'],
    ]);
    expect(parsePlan(bytes(notaryPlan())).targets.publishers).toEqual([]);
  });

  it('software key sources parse only for rehearsals; the rehearsal plan parses as one', () => {
    const json = rehearsalPlan({ profile: 'tuf', repository: 'example.com/r', now: new Date() });
    expect(parsePlan(bytes(json), { rehearsal: true }).snapshot.key).toEqual({ kind: 'software', keyAlgorithm: 'ed25519' });
    const err = refusal(() => parsePlan(bytes(json)));
    expect([err.code, err.path]).toEqual(['PLAN_INVALID', '$.snapshot.key.software']);
    expect(err.message).toMatch(/rehearsals only/);
  });
});

// [what, plan, code, path]
const INVALID: [string, JsonObject | string, ErrorCode, string][] = [
  ['not JSON', '{"format": ', 'JSON_MALFORMED', '$.format'],
  ['a key given twice', '{"format":"tuf-ceremony-plan","format":"x"}', 'JSON_DUPLICATE_KEY', '$.format'],
  ['an unknown top-level field', set(notaryPlan(), ['witnesses'], ['Dave']), 'PLAN_INVALID', '$.witnesses'],
  ['an unknown field in a custodian', set(notaryPlan(), ['custodians', 1, 'pin'], '1234'), 'PLAN_INVALID', '$.custodians[1].pin'],
  ['another format', set(notaryPlan(), ['format'], 'tuf-ceremony-bundle'), 'PLAN_INVALID', '$.format'],
  ['a format version from the future', set(notaryPlan(), ['version'], 2), 'PLAN_INVALID', '$.version'],
  ['a kind not implemented', set(notaryPlan(), ['kind'], 'rotation'), 'PLAN_INVALID', '$.kind'],
  ['an unknown profile', set(notaryPlan(), ['profile'], 'notary2'), 'PLAN_INVALID', '$.profile'],
  ['a repository with a space', set(notaryPlan(), ['repository'], 'registry.example.com/org app'), 'PLAN_INVALID', '$.repository'],
  // install.ts checkGun and notary-server refuse it: before, such a plan passed review and ran its ceremony.
  ['a repository with a "." segment', set(notaryPlan(), ['repository'], 'registry.example.com/./app'), 'PLAN_INVALID', '$.repository'],
  ['a repository with a ".." segment', set(notaryPlan(), ['repository'], 'registry.example.com/../app'), 'PLAN_INVALID', '$.repository'],
  // A GUN the trust store cannot hold (install.ts checkGun): before, the ceremony ran and its import was refused.
  ['a Notary repository with "@" (no trust folder holds it)', set(notaryPlan(), ['repository'], 'registry.example.com/org/app@v1'), 'PLAN_INVALID', '$.repository'],
  ['a Notary repository with "!"', set(notaryPlan(), ['repository'], 'registry.example.com/org/app!'), 'PLAN_INVALID', '$.repository'],
  ['no custodians', set(notaryPlan(), ['custodians'], []), 'PLAN_INVALID', '$.custodians'],
  ['two custodians with one name', set(notaryPlan(), ['custodians', 1, 'name'], 'alice'), 'PLAN_INVALID', '$.custodians[1].name'],
  // Names a reader cannot tell apart (rotation/names.ts nameKey); before, only the case was folded.
  ['two custodians named "José", in NFC and in NFD', set(set(notaryPlan(), ['custodians', 1, 'name'], 'Jos\u00e9'), ['custodians', 2, 'name'], 'Jose\u0301'), 'PLAN_INVALID', '$.custodians[2].name'],
  ['two custodians named "Alice" and "ＡＬＩＣＥ" (full-width)', set(notaryPlan(), ['custodians', 1, 'name'], '\uff21\uff2c\uff29\uff23\uff25'), 'PLAN_INVALID', '$.custodians[1].name'],
  [
    'two publishers named "CI" and "ＣＩ" (full-width)',
    set(notaryPlan(), ['targets', 'publishers'], [{ name: 'CI', keyFile: 'ci.pem', sha256: HEX }, { name: '\uff23\uff29', keyFile: 'ci2.pem', sha256: HEX }]),
    'PLAN_INVALID',
    '$.targets.publishers[1].name',
  ],
  ['a name with a bidi override', set(notaryPlan(), ['custodians', 0, 'name'], 'Al\u202eice'), 'PLAN_INVALID', '$.custodians[0].name'],
  ['two custodians expecting one token', set(notaryPlan(), ['custodians', 1, 'token', 'serial'], '12345678'), 'PLAN_INVALID', '$.custodians[1].token.serial'],
  [
    'two custodians expecting the same pair (serial, label)',
    set(set(notaryPlan(), ['custodians', 0, 'token'], { serial: '0000000000000000', label: 'tpm-a' }), ['custodians', 1, 'token'], { serial: '0000000000000000', label: 'tpm-a' }),
    'PLAN_INVALID',
    '$.custodians[1].token.serial',
  ],
  [
    'a shared serial with no label to tell the tokens apart',
    set(set(notaryPlan(), ['custodians', 0, 'token'], { serial: '0000000000000000', label: 'tpm-a' }), ['custodians', 1, 'token'], { serial: '0000000000000000' }),
    'PLAN_INVALID',
    '$.custodians[1].token.serial',
  ],
  ['two custodians expecting the same label', set(set(notaryPlan(), ['custodians', 0, 'token'], { label: 'tpm-a' }), ['custodians', 1, 'token'], { label: 'tpm-a' }), 'PLAN_INVALID', '$.custodians[1].token.label'],
  ['allowSoftwareTokens not a boolean', set(notaryPlan(), ['allowSoftwareTokens'], 'yes'), 'PLAN_INVALID', '$.allowSoftwareTokens'],
  ['a token named by nothing', set(notaryPlan(), ['custodians', 0, 'token'], {}), 'PLAN_INVALID', '$.custodians[0].token'],
  ['a missing key label', set(notaryPlan(), ['custodians', 2, 'keyLabel'], undefined), 'PLAN_INVALID', '$.custodians[2].keyLabel'],
  ['an Ed25519 Notary root key', set(notaryPlan(), ['custodians', 0, 'keyAlgorithm'], 'ed25519'), 'PLAN_INVALID', '$.custodians[0].keyAlgorithm'],
  ['an unknown key algorithm', set(notaryPlan(), ['custodians', 0, 'keyAlgorithm'], 'ecdsa-p521'), 'PLAN_INVALID', '$.custodians[0].keyAlgorithm'],
  ['P-384 in a TUF plan', set(tufPlan(), ['custodians', 1, 'keyAlgorithm'], 'ecdsa-p384'), 'PLAN_INVALID', '$.custodians[1].keyAlgorithm'],
  ['a root threshold of 0', set(notaryPlan(), ['root', 'threshold'], 0), 'PLAN_INVALID', '$.root.threshold'],
  ['a root threshold above the custodians', set(notaryPlan(), ['root', 'threshold'], 4), 'PLAN_INVALID', '$.root.threshold'],
  ['a threshold as a string', set(notaryPlan(), ['root', 'threshold'], '2'), 'PLAN_INVALID', '$.root.threshold'],
  ['a fractional threshold', '{"format":"tuf-ceremony-plan","version":1,"root":{"threshold":1.5}}', 'JSON_NUMBER_INVALID', '$.root.threshold'],
  ['a missing root expiry', set(notaryPlan(), ['root', 'expires'], undefined), 'PLAN_INVALID', '$.root.expires'],
  ['an expiry with an offset', set(notaryPlan(), ['root', 'expires'], '2036-05-01T00:00:00+02:00'), 'PLAN_INVALID', '$.root.expires'],
  ['an expiry that does not exist', set(notaryPlan(), ['targets', 'expires'], '2029-02-30T00:00:00Z'), 'PLAN_INVALID', '$.targets.expires'],
  ['a targets key of nobody', set(notaryPlan(), ['targets', 'key', 'custodian'], 'Mallory'), 'PLAN_INVALID', '$.targets.key.custodian'],
  ['a key label used twice on one token', set(notaryPlan(), ['targets', 'key', 'keyLabel'], 'root-2026-alice'), 'PLAN_INVALID', '$.targets.key.keyLabel'],
  ['a Notary timestamp key held by the ceremony', set(notaryPlan(), ['timestamp'], { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 't' }, expires: '2026-12-01T00:00:00Z' }), 'PLAN_INVALID', '$.timestamp'],
  ['a TUF server key', set(tufPlan(), ['snapshot'], { keyFile: 'snapshot.key', sha256: HEX }), 'PLAN_INVALID', '$.snapshot'],
  ['a server key file outside the plan folder', set(notaryPlan(), ['timestamp', 'keyFile'], '../keys/timestamp.key'), 'PLAN_INVALID', '$.timestamp.keyFile'],
  ['an absolute server key file', set(notaryPlan(), ['timestamp', 'keyFile'], '/etc/timestamp.key'), 'PLAN_INVALID', '$.timestamp.keyFile'],
  ['a server key hash in upper case', set(notaryPlan(), ['timestamp', 'sha256'], HEX.toUpperCase()), 'PLAN_INVALID', '$.timestamp.sha256'],
  ['a server key with an expiry mixed in', set(notaryPlan(), ['timestamp', 'expires'], '2026-12-01T00:00:00Z'), 'PLAN_INVALID', '$.timestamp.expires'],
  ['a Shamir threshold of 1', set(notaryPlan(), ['shamir', 'threshold'], 1), 'PLAN_INVALID', '$.shamir.threshold'],
  ['fewer Shamir cards than the threshold', set(notaryPlan(), ['shamir'], { threshold: 3, shares: 2, keyAlgorithm: 'ecdsa-p256' }), 'PLAN_INVALID', '$.shamir.shares'],
  ['a Shamir RSA key', set(tufPlan(), ['shamir', 'keyAlgorithm'], 'rsa-pss-sha256'), 'PLAN_INVALID', '$.shamir.keyAlgorithm'],
  ['consistent snapshots for Notary', set(notaryPlan(), ['consistentSnapshot'], true), 'PLAN_INVALID', '$.consistentSnapshot'],
  ['an empty publishers list', set(notaryPlan(), ['targets', 'publishers'], []), 'PLAN_INVALID', '$.targets.publishers'],
  ['publishers with a ceremony-held snapshot key (locked out: the server cannot sign their snapshots)', set(notaryPlan(), ['targets', 'publishers'], [{ name: 'CI', keyFile: 'ci.pem', sha256: HEX }]), 'PLAN_INVALID', '$.snapshot'],
  ['a publisher without a hash', set(notaryPlan(), ['targets', 'publishers'], [{ name: 'CI', keyFile: 'ci.pem' }]), 'PLAN_INVALID', '$.targets.publishers[0].sha256'],
  ['a publisher key file outside the plan folder', set(notaryPlan(), ['targets', 'publishers'], [{ name: 'CI', keyFile: '../ci.pem', sha256: HEX }]), 'PLAN_INVALID', '$.targets.publishers[0].keyFile'],
  [
    'two publishers with one name',
    set(notaryPlan(), ['targets', 'publishers'], [
      { name: 'CI', keyFile: 'a.pem', sha256: HEX },
      { name: 'ci', keyFile: 'b.pem', sha256: HEX },
    ]),
    'PLAN_INVALID',
    '$.targets.publishers[1].name',
  ],
  [
    'one key file for two publishers',
    set(notaryPlan(), ['targets', 'publishers'], [
      { name: 'CI', keyFile: 'a.pem', sha256: HEX },
      { name: 'QA', keyFile: 'a.pem', sha256: HEX },
    ]),
    'PLAN_INVALID',
    '$.targets.publishers[1].keyFile',
  ],
  ['a publisher with a private key field', set(notaryPlan(), ['targets', 'publishers'], [{ name: 'CI', keyFile: 'a.pem', sha256: HEX, privateKey: 'x' }]), 'PLAN_INVALID', '$.targets.publishers[0].privateKey'],
  ['publishers on the snapshot role', set(notaryPlan(), ['snapshot', 'publishers'], [{ name: 'CI', keyFile: 'a.pem', sha256: HEX }]), 'PLAN_INVALID', '$.snapshot.publishers'],
  ['a software key of another name', set(tufPlan(), ['timestamp', 'key'], { software: 'yes', keyAlgorithm: 'ed25519' }), 'PLAN_INVALID', '$.timestamp.key.software'],
];

describe('token identity and software tokens in plans', () => {
  it('custodians may share a serial when their labels tell the tokens apart (tpm2-pkcs11, NSS); allowSoftwareTokens is read', () => {
    const shared = set(set(notaryPlan(), ['custodians', 0, 'token'], { serial: '0000000000000000', label: 'tpm-a' }), ['custodians', 1, 'token'], { serial: '0000000000000000', label: 'tpm-b' });
    const plan = parsePlan(bytes(shared));
    expect(plan.custodians.map((c) => c.token).slice(0, 2)).toEqual([
      { serial: '0000000000000000', label: 'tpm-a' },
      { serial: '0000000000000000', label: 'tpm-b' },
    ]);
    expect(plan.allowSoftwareTokens).toBeUndefined();
    expect(parsePlan(bytes(set(notaryPlan(), ['allowSoftwareTokens'], true))).allowSoftwareTokens).toBe(true);
  });
});

describe('invalid plans: each refused with its code and the path of the field', () => {
  it.each(INVALID.map(([what, plan, code, path]) => ({ what, plan, code, path })))('$what → $code at $path', ({ plan, code, path }) => {
    const err = refusal(() => parsePlan(bytes(plan), { rehearsal: true }));
    expect({ code: err.code, path: err.path }).toEqual({ code, path });
    expect(err.message).toContain(`(at ${path})`);
  });

  it('the GUN rule is Notary\'s: a TUF repository name is a label, "@" and "!" taken', () => {
    expect(parsePlan(bytes(set(tufPlan(), ['repository'], 'example.com/r@v1!'))).repository).toBe('example.com/r@v1!');
    expect(parsePlan(bytes(set(notaryPlan(), ['repository'], 'registry.example.com:5000/org/app_1.x-y'))).repository).toBe('registry.example.com:5000/org/app_1.x-y');
  });

  it('has at least 15 cases', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(15);
  });

  it('explains why P-384 is refused in TUF, and suggests a near field name', () => {
    const p384 = refusal(() => parsePlan(bytes(set(tufPlan(), ['custodians', 1, 'keyAlgorithm'], 'ecdsa-p384'))));
    expect(p384.message).toMatch(/tuf-js verifies ecdsa-sha2-nistp384 signatures over SHA-256/);
    const typo = refusal(() => parsePlan(bytes(set(set(notaryPlan(), ['root', 'expires'], undefined), ['root', 'expiers'], '2036-05-01T00:00:00Z'))));
    expect(typo.path).toBe('$.root.expiers');
    expect(typo.message).toMatch(/did you mean "expires"/);
  });

  it('refuses an oversized plan before parsing it', () => {
    const err = refusal(() => parsePlan(new Uint8Array(300 * 1024).fill(0x20)));
    expect(err.code).toBe('INPUT_TOO_LARGE');
  });
});

describe('dates against the clock, at the start of the ceremony', () => {
  const plan = parsePlan(bytes(notaryPlan()));

  it('accepts a plan whose expiries are all ahead', () => {
    expect(() => checkPlanDates(plan, new Date('2026-01-01T00:00:00Z'))).not.toThrow();
  });

  it('refuses a past expiry, and a Notary root with less than 6 months to live', () => {
    const past = refusal(() => checkPlanDates(plan, new Date('2030-01-01T00:00:00Z')));
    expect([past.code, past.path]).toEqual(['PLAN_INVALID', '$.targets.expires']);
    const soon = refusal(() => checkPlanDates(plan, new Date('2036-01-01T00:00:00Z')));
    expect([soon.code, soon.path]).toEqual(['PLAN_INVALID', '$.root.expires']);
    expect(soon.message).toMatch(/6 months/);
  });
});

describe('the intent hash', () => {
  it('is the SHA-256 of the file bytes, shown as grouped hex and words', () => {
    const b = bytes(notaryPlan());
    const h = intentHash(b);
    expect(h.sha256).toBe(createHash('sha256').update(b).digest('hex'));
    expect(h.grouped.replaceAll(' ', '')).toBe(h.sha256);
    expect(h.words).toHaveLength(16);
    const lines = describeIntentHash(h);
    expect(lines[0]).toContain(h.grouped);
    expect(lines[1]).toContain(groupWords(h.words));
    // One byte more (a reformatted plan) is another intent hash: witnesses compare the file as reviewed.
    expect(intentHash(bytes(JSON.stringify(notaryPlan()))).sha256).not.toBe(h.sha256);
  });
});
