/**
 * `tuf-ceremony run PLAN --bindings FILE` over the fake PKCS#11 layer (test/support/fake-pkcs11.ts): the
 * real-token path — tokens chosen by the bindings, each shown before its PIN is read, PINs from the
 * environment variables the bindings name (never from the plan), the refusals a person meets before and
 * during a ceremony with their exit statuses, a wrong PIN that stops the ceremony and a resume that
 * finishes it without making any key twice, and no PIN or private key in any file written.
 */
import { outPath, readOut } from '../../support/ceremony-out.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { runCommand, type RunDeps } from '../../../src/cli/run.js';
import { reportError } from '../../../src/cli/output.js';
import type { JsonObject } from '../../../src/json/types.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { CKM } from '../../../src/signers/pkcs11/api.js';
import { ALL_MECHANISMS, FakePkcs11 } from '../../support/fake-pkcs11.js';
import { scanForSecrets } from '../../support/secret-scan.js';
import { cleanup, filesUnder, sha256, tempDir } from './support.js';

afterAll(cleanup);

const MODULE = '/opt/fake/libfake-pkcs11.so';
const PINS = { ALICE_PIN: 'alice-pin-4417', BOB_PIN: 'bob-pin-90210', CAROL_PIN: 'carol-pin-3141' };

function fakeTokens(): FakePkcs11 {
  return new FakePkcs11([
    { label: 'alice', serial: 'A0000001', pin: PINS.ALICE_PIN },
    { label: 'bob', serial: 'B0000002', pin: PINS.BOB_PIN },
    { label: 'carol', serial: 'C0000003', pin: PINS.CAROL_PIN },
  ]);
}

function plan(): JsonObject {
  const year = (n: number) => `${new Date().getUTCFullYear() + n}-01-01T00:00:00Z`;
  return {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'tuf',
    repository: 'example.com/repo',
    custodians: [
      { name: 'Alice', token: { serial: 'A0000001' }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-alice' },
      { name: 'Bob', token: null, keyAlgorithm: 'ed25519', keyLabel: 'root-bob' },
      { name: 'Carol', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-carol' },
    ],
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ed25519', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) },
  };
}

function bindings(planSha: string): JsonObject {
  return {
    format: 'tuf-ceremony-site-bindings',
    version: 1,
    planSha256: planSha,
    module: { path: MODULE },
    custodians: {
      Alice: { pin: { env: 'ALICE_PIN' } },
      Bob: { token: { serial: 'B0000002' }, pin: { env: 'BOB_PIN' } },
      Carol: { token: { label: 'carol' }, pin: { env: 'CAROL_PIN' } },
    },
  };
}

interface Setup {
  dir: string;
  planPath: string;
  bindingsPath: string;
  planSha: string;
  fake: FakePkcs11;
}

function setup(editPlan?: (p: JsonObject) => void): Setup {
  const dir = tempDir('run-');
  const p = plan();
  editPlan?.(p);
  const bytes = Buffer.from(JSON.stringify(p, null, 2));
  const planPath = join(dir, 'plan.json');
  writeFileSync(planPath, bytes);
  const planSha = sha256(bytes);
  const bindingsPath = join(dir, 'bindings.json');
  writeFileSync(bindingsPath, JSON.stringify(bindings(planSha)));
  return { dir, planPath, bindingsPath, planSha, fake: fakeTokens() };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

function deps(s: Setup, over: Partial<RunDeps> = {}, events: string[] = []): RunDeps {
  return {
    load: (path, opts) => {
      events.push(`load ${path}`);
      return TokenModule.load(path, { ...opts, api: s.fake });
    },
    exists: () => true,
    platform: 'linux',
    env: new Proxy({ ...PINS } as Record<string, string | undefined>, {
      get(target, name: string) {
        events.push(`read ${name}`);
        return target[name];
      },
    }),
    interactive: false,
    promptPin: () => Promise.reject(new Error('no prompt in tests')),
    now: () => new Date(),
    ...over,
  };
}

/** The CLI's contract: the command's status, or `error[CODE]` first on stderr with its exit status. */
async function cli(s: Setup, d: RunDeps, opts: { out?: string; json?: boolean } = {}) {
  const c = capture();
  let status: number;
  try {
    status = await runCommand(s.planPath, { bindings: s.bindingsPath, ...opts }, c.io, d);
  } catch (err) {
    status = reportError(c.io, err, false);
  }
  return { status, ...c };
}

/** The private keys the fake tokens hold (test-only access to the fake's internals). */
function fakeSecrets(fake: FakePkcs11): Uint8Array[] {
  const tokens = (fake as unknown as { tokens: { objects: Map<unknown, { scalar?: Uint8Array; privateKey?: KeyObject; attrs: { class?: number } }> }[] }).tokens;
  const out: Uint8Array[] = [];
  for (const t of tokens) {
    for (const o of t.objects.values()) {
      if (o.scalar) out.push(Uint8Array.from(o.scalar));
      else if (o.privateKey && o.privateKey.asymmetricKeyType === 'ed25519') out.push(new Uint8Array(o.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32)));
    }
  }
  return out;
}

describe('run PLAN --bindings FILE on (fake) hardware tokens', () => {
  it('runs the ceremony: each token shown before its PIN is read, outputs verified, transcript not a rehearsal', async () => {
    const s = setup();
    const events: string[] = [];
    // Order of what a custodian sees and what the token is asked: the announcement, then the login.
    const login = s.fake.login.bind(s.fake);
    s.fake.login = (...args: Parameters<FakePkcs11['login']>) => {
      events.push('login');
      return login(...args);
    };
    const c = capture();
    const status = await runCommand(s.planPath, { bindings: s.bindingsPath, out: join(s.dir, 'out') }, { out: (l) => (c.io.out(l), events.push(l)), err: c.io.err }, deps(s));
    const r = { status, ...c };
    expect(r.err).toEqual([]);
    expect(r.status).toBe(0);
    const seen = events.filter((e) => e === 'login' || e.startsWith('custodian '));
    expect(seen.map((e) => (e === 'login' ? e : e.split(':')[0]))).toEqual(['custodian Alice', 'login', 'custodian Bob', 'login', 'custodian Carol', 'login']);
    const text = r.out.join('\n');
    expect(text).toContain(`plan intent hash (SHA-256 of the plan file): ${s.planSha.replace(/(.{4})(?=.)/g, '$1 ')}`);
    expect(text).toMatch(/custodian Alice: token "alice" \(serial A0000001\), Fake Tokens Ltd Fake 1, slot "fake slot slot-1" \(the plan expects serial A0000001\)/);
    expect(text).toMatch(/custodian Bob: token "bob" \(serial B0000002\).*chosen by the site bindings/);
    for (const v of Object.values(PINS)) expect(text).not.toContain(v);

    const out = join(s.dir, 'out');
    const read = (n: string) => readOut(out, n);
    const root = read('root.json');
    verifyRepository({ versionedRoots: new Map([[1, read('1.root.json')]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: read('timestamp.json'), delegated: new Map() }, { trustedRoot: root, now: new Date(), requireComplete: true });
    const t = verifyTranscript(read('transcript.jsonl'));
    expect(t.rehearsal).toBe(false);
    expect(t.entries.filter((e) => e.step === 'token.check').map((e) => e.token!.serial)).toEqual(['A0000001', 'B0000002', 'C0000003']);

    // No PIN and no private key of the tokens anywhere in what was written.
    const enc = new TextEncoder();
    const secrets = [...Object.values(PINS).map((v) => enc.encode(v)), ...fakeSecrets(s.fake)];
    expect(fakeSecrets(s.fake).length).toBe(6);
    for (const [name, bytes] of filesUnder(out)) expect(scanForSecrets(bytes, secrets), name).toEqual([]);
    const planted = new TextEncoder().encode(`x ${PINS.BOB_PIN} y`);
    expect(scanForSecrets(planted, secrets)).toHaveLength(1);
  });

  it('--json: the documented summary on stdout, progress on stderr; the default folder is PLAN.out', async () => {
    const s = setup();
    const r = await cli(s, deps(s), { json: true });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.out.join('')) as JsonObject;
    expect(Object.keys(j).sort()).toEqual(['files', 'metadata', 'metadataDir', 'transcript', 'ok', 'out', 'planSha256', 'resumed', 'rootKeyIds', 'sealKeyId', 'skipped', 'snapshotKeyId', 'targetsKeyId', 'timestampKeyId'].sort());
    expect(j.out).toBe(join(s.dir, 'plan.out'));
    expect(j.metadataDir).toBe(join(s.dir, 'plan.out', 'metadata'));
    expect(j.transcript).toBe(join(s.dir, 'plan.out', 'state', 'transcript.jsonl'));
    expect(j.planSha256).toBe(s.planSha);
    expect(r.err.join('\n')).toMatch(/custodian Alice/);
  });

  it('a wrong PIN stops the ceremony (exit 3); with the right PIN it resumes, making no key twice', async () => {
    const s = setup();
    const out = join(s.dir, 'out');
    const wrong = await cli(s, deps(s, { env: { ...PINS, CAROL_PIN: 'not-carols-pin' } }), { out });
    expect(wrong.status).toBe(3);
    expect(wrong.err[0]).toMatch(/^error\[PIN_INCORRECT\]: /);
    expect(wrong.err.join('\n')).not.toContain('not-carols-pin');
    const made = s.fake.countCalls('generateKeyPair');
    expect(made).toBe(0); // tokens are checked (and logged in to) before any key is made
    const right = await cli(s, deps(s), { out });
    expect(right.status).toBe(0);
    expect(right.out.join('\n')).toMatch(/resuming the interrupted ceremony/);
    expect(s.fake.countCalls('generateKeyPair')).toBe(6);
  });

  it('a token that cannot make a key type the plan asks of it is refused before any PIN (MECHANISM_UNSUPPORTED, exit 3)', async () => {
    // Alice's token makes RSA and EdDSA keys but no EC ones (as opencryptoki's soft token makes no EC);
    // the plan asks ECDSA P-256 of her.
    const noEc = ALL_MECHANISMS.filter((m) => m.type !== CKM.EC_KEY_PAIR_GEN && m.type !== CKM.ECDSA);
    const base = setup();
    const s = { ...base, fake: new FakePkcs11([{ label: 'alice', serial: 'A0000001', pin: PINS.ALICE_PIN, mechanisms: noEc }, { label: 'bob', serial: 'B0000002', pin: PINS.BOB_PIN }, { label: 'carol', serial: 'C0000003', pin: PINS.CAROL_PIN }]) };
    const r = await cli(s, deps(s), { out: join(s.dir, 'out') });
    expect(r.status).toBe(3);
    expect(r.err[0]).toMatch(/^error\[MECHANISM_UNSUPPORTED\]: Alice's token "alice" \(serial A0000001\) cannot make ECDSA P-256 keys, which the plan asks of it/);
    expect(r.err[0]).toContain('no PIN was asked');
    expect(s.fake.countCalls('login')).toBe(0);
    expect(s.fake.countCalls('generateKeyPair')).toBe(0);
  });

  it('interrupted after keys were made (a token pulled): the resume finds them by label and fingerprint', async () => {
    const s = setup();
    const out = join(s.dir, 'out');
    let once = true;
    const fault = (point: string) => {
      if (once && point === 'after:generate-keys') {
        once = false;
        throw new Error('power cut');
      }
    };
    const first = await cli(s, deps(s, { fault }), { out });
    expect(first.status).toBe(1);
    expect(s.fake.countCalls('generateKeyPair')).toBe(6);
    const second = await cli(s, deps(s), { out });
    expect(second.status).toBe(0);
    expect(s.fake.countCalls('generateKeyPair')).toBe(6);
    // Before Alice's PIN is asked again: the keys made on her token, by fingerprint (hex and words).
    const lines = second.out.join('\n');
    expect(lines).toMatch(/custodian Alice: token "alice" \(serial A0000001\).*\n  expected on it: key "root-alice", fingerprint [0-9a-f]{4}(?: [0-9a-f]{4}){7} \((?:[A-Za-z]+ ){3}[A-Za-z]+(?: · (?:[A-Za-z]+ ){3}[A-Za-z]+){3}\)\n  expected on it: key "targets"/);
    const t = verifyTranscript(new Uint8Array(readFileSync(outPath(out, 'transcript.jsonl'))));
    expect(t.entries.map((e) => e.step)).toContain('ceremony.resume');
  });

  describe('refused before anything is done', () => {
    it('a PIN variable that is not set: USAGE, exit 2, nothing written', async () => {
      const s = setup();
      const r = await cli(s, deps(s, { env: { ALICE_PIN: PINS.ALICE_PIN, BOB_PIN: PINS.BOB_PIN } }), { out: join(s.dir, 'out') });
      expect(r.status).toBe(2);
      expect(r.err[0]).toBe("error[USAGE]: the environment variable CAROL_PIN (Carol's PIN, as the site bindings say) is not set");
      expect(existsSync(join(s.dir, 'out'))).toBe(false);
    });

    it('"prompt" with no terminal: USAGE, exit 2', async () => {
      const s = setup();
      const b = bindings(s.planSha);
      (b.custodians as JsonObject).Bob = { token: { serial: 'B0000002' }, pin: 'prompt' };
      writeFileSync(s.bindingsPath, JSON.stringify(b));
      const r = await cli(s, deps(s), { out: join(s.dir, 'out') });
      expect(r.status).toBe(2);
      expect(r.err[0]).toMatch(/^error\[USAGE\]: .*no terminal/);
    });

    it('bindings written for another plan: BINDINGS_PLAN_MISMATCH, exit 1', async () => {
      const s = setup();
      writeFileSync(s.bindingsPath, JSON.stringify(bindings('00'.repeat(32))));
      const r = await cli(s, deps(s), { out: join(s.dir, 'out') });
      expect(r.status).toBe(1);
      expect(r.err[0]).toMatch(/^error\[BINDINGS_PLAN_MISMATCH\]: .*\(at \$\.planSha256\)$/);
    });

    it('a software key in a plan for real tokens: PLAN_INVALID with its path', async () => {
      const s = setup((p) => {
        p.snapshot = { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: (p.targets as JsonObject).expires! };
      });
      const r = await cli(s, deps(s), { out: join(s.dir, 'out') });
      expect(r.status).toBe(1);
      expect(r.err[0]).toMatch(/^error\[PLAN_INVALID\]: .*\(at \$\.snapshot\.key\.software\)$/);
    });

    it('the token in the slot is not the one the plan names: TOKEN_NOT_PRESENT, exit 3, before any PIN is read', async () => {
      const s = setup((p) => {
        ((p.custodians as JsonObject[])[0]!.token as JsonObject).serial = 'Z9999999';
      });
      const r = await cli(s, deps(s), { out: join(s.dir, 'out') });
      expect(r.status).toBe(3);
      expect(r.err[0]).toMatch(/^error\[TOKEN_NOT_PRESENT\]: not every custodian's token is inserted: missing Alice's token \(serial Z9999999\); present Bob's token "bob"/);
      expect(s.fake.countCalls('login')).toBe(0);
      expect(s.fake.countCalls('generateKeyPair')).toBe(0);
    });
  });
});

describe('run on a module whose tokens share one serial and are software (tpm2-pkcs11 over swtpm, posed by the fake)', () => {
  const ZERO = '0000000000000000';
  function tpmSetup(allow: boolean): Setup {
    const s = setup((p) => {
      for (const c of p.custodians as JsonObject[]) c.token = null;
      if (allow) p.allowSoftwareTokens = true;
    });
    const b = bindings(s.planSha);
    b.custodians = {
      Alice: { token: { label: 'alice' }, pin: { env: 'ALICE_PIN' } },
      Bob: { token: { label: 'bob' }, pin: { env: 'BOB_PIN' } },
      Carol: { token: { label: 'carol' }, pin: { env: 'CAROL_PIN' } },
    };
    writeFileSync(s.bindingsPath, JSON.stringify(b));
    const fake = new FakePkcs11([
      { label: 'alice', serial: ZERO, pin: PINS.ALICE_PIN, manufacturer: 'IBM', model: 'SW   TPM' },
      { label: 'bob', serial: ZERO, pin: PINS.BOB_PIN, manufacturer: 'IBM', model: 'SW   TPM' },
      { label: 'carol', serial: ZERO, pin: PINS.CAROL_PIN, manufacturer: 'IBM', model: 'SW   TPM' },
    ]);
    fake.moduleManufacturer = 'tpm2-software.github.io';
    fake.moduleDescription = 'TPM2.0 Cryptoki';
    // tpm2-pkcs11 refuses CKA_VERIFY / CKA_ENCRYPT in the public template (FIELD-NOTES).
    fake.quirks.refuseTemplate = { publicKey: ['verify', 'encrypt'], rv: 0x5 };
    return { ...s, fake };
  }

  it('a plan that does not allow software tokens refuses them before any PIN (TOKEN_SOFTWARE, exit 3)', async () => {
    const s = tpmSetup(false);
    const r = await cli(s, deps(s), { out: join(s.dir, 'out') });
    expect(r.status).toBe(3);
    expect(r.err[0]).toMatch(/^error\[TOKEN_SOFTWARE\]: Alice's token "alice" is a software token \(swtpm \(software TPM\)\)/);
    expect(r.err[0]).toContain('"allowSoftwareTokens": true');
    expect(s.fake.countCalls('login')).toBe(0);
  });

  it('allowed by the plan: tokens told apart by label, a wrong PIN then a resume by the pair (serial, label), the transcript names what the tokens are', async () => {
    const s = tpmSetup(true);
    const out = join(s.dir, 'out');
    const wrong = await cli(s, deps(s, { env: { ...PINS, CAROL_PIN: 'not-carols-pin' } }), { out });
    expect(wrong.status).toBe(3);
    expect(wrong.err[0]).toMatch(/^error\[PIN_INCORRECT\]: .*dictionary-attack limit/);
    const made = s.fake.countCalls('generateKeyPair');
    const right = await cli(s, deps(s), { out });
    expect(right.err).toEqual([]);
    expect(right.status).toBe(0);
    // Every key once, each with the minimal template only (tpm2-pkcs11 is known to refuse the full one).
    expect(s.fake.countCalls('generateKeyPair')).toBe(6);
    expect(made).toBeLessThanOrEqual(6);
    const text = right.out.join('\n');
    expect(text).toContain('serial not unique on this module: the label "bob" names this token');
    expect(text).toContain('SOFTWARE TOKEN (swtpm (software TPM))');
    const t = verifyTranscript(new Uint8Array(readFileSync(outPath(out, 'transcript.jsonl'))));
    // The interrupted run checked Alice and Bob before Carol's PIN failed; the resume checks all three.
    const checks = t.entries.filter((e) => e.step === 'token.check').slice(-3);
    expect(checks.map((e) => e.token)).toEqual([
      { serial: ZERO, label: 'alice' },
      { serial: ZERO, label: 'bob' },
      { serial: ZERO, label: 'carol' },
    ]);
    expect(checks[0]!.note).toContain('SOFTWARE TOKEN (swtpm (software TPM))');
    expect(checks[0]!.note).toContain('serial not unique on this module');
    expect(checks[0]!.note).toContain(`module ${MODULE} (tpm2-pkcs11)`);
    const protection = t.entries.filter((e) => e.step === 'key.protection');
    expect(protection).toHaveLength(6);
    for (const e of protection) {
      expect(e.note).toContain('minimal template (tpm2-pkcs11 derives');
      expect(e.note).toContain('sensitive=true extractable=false sign=true decrypt=false');
      expect(e.note).toContain('read-out refused');
    }
  });
});
