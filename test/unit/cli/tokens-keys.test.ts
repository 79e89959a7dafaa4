/**
 * `tuf-ceremony tokens generate` / `tokens export` over the fake PKCS#11 layer: the documented --json
 * shapes, fingerprints in hex and words, key IDs as the profiles compute them, the expected token checked
 * before any PIN is asked, PIN sources (environment variable, no-echo prompt, neither → USAGE), the PIN
 * zeroed and never printed whichever call fails, outputs never overwritten, and exit codes 1/2/3.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToWords, groupHex } from '../../../src/crypto/digest-words.js';
import { getProfile } from '../../../src/profiles/index.js';
import { CKK, CKM, CKO, CKR } from '../../../src/signers/pkcs11/api.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { registerTokensCommand } from '../../../src/cli/tokens.js';
import { tokenExportCommand, tokenGenerateCommand, type TokenKeysDeps } from '../../../src/cli/tokens-keys.js';
import { FakePkcs11, YUBIKEY_MECHANISMS, type FakeTokenSpec } from '../../support/fake-pkcs11.js';

/** A PIN with characters that cannot occur in hex, base64, PEM or PGP words: if it shows up, it leaked. */
const PIN = 'Zq#7-pin-Wx!';
const WRONG_PIN = 'Wr0ng#pin!';
const MODULE = '/usr/lib/fake/libfake-pkcs11.so';
const ONE: FakeTokenSpec = { label: 'custodian-1', serial: '0001', pin: PIN, manufacturer: 'Fake Tokens Ltd', model: 'Fake 1' };
const TWO: FakeTokenSpec = { label: 'custodian-2', serial: '0002', pin: PIN };
const GUN = 'registry.example.com/org/app';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tufc-tokens-keys-'));
  dirs.push(d);
  return d;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err, all: () => [...out, ...err].join('\n') };
}

interface Rig {
  fake: FakePkcs11;
  deps: TokenKeysDeps;
  loads: string[];
  prompts: string[];
  /** Every PIN buffer handed out, to check they were zeroed. */
  handed: Uint8Array[];
}

function rig(specs: FakeTokenSpec[] = [ONE, TWO], over: Partial<TokenKeysDeps> = {}): Rig {
  const fake = new FakePkcs11(specs);
  const loads: string[] = [];
  const prompts: string[] = [];
  const handed: Uint8Array[] = [];
  const deps: TokenKeysDeps = {
    load: (path, opts) => {
      loads.push(path);
      return TokenModule.load(path, { ...opts, api: fake });
    },
    exists: () => true,
    platform: 'linux',
    env: { TOKEN_PIN: PIN },
    interactive: false,
    promptPin: async (q) => {
      prompts.push(q);
      const b = new TextEncoder().encode(PIN);
      handed.push(b);
      return b;
    },
    now: () => new Date('2025-06-01T12:00:00Z'),
    ...over,
  };
  return { fake, deps, loads, prompts, handed };
}

const gen = (over: Record<string, unknown> = {}) => ({ module: MODULE, token: '0001', algorithm: 'ecdsa-p256', label: 'root-1', pinEnv: 'TOKEN_PIN', ...over });
const exp = (over: Record<string, unknown> = {}) => ({ module: MODULE, token: '0001', label: 'root-1', ...over });

async function generate(r: Rig, over: Record<string, unknown> = {}) {
  const c = capture();
  const status = await tokenGenerateCommand({ ...gen(over), json: true } as never, c.io, r.deps);
  if (status !== 0) throw new Error(`generate failed: ${c.err.join('\n')}`);
  return JSON.parse(c.out.join('')) as { id: string; keyIds: { tuf: string; notary: string }; fingerprint: { sha256: string }; publicKeyPem: string };
}

function spkiOfPem(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
}

describe('tokens generate', () => {
  it('makes the key on the token and prints its fingerprint in hex groups and words, TUF and Notary key IDs; the PIN from --pin-env', async () => {
    const r = rig();
    const c = capture();
    expect(await tokenGenerateCommand(gen(), c.io, r.deps)).toBe(0);
    expect(c.err).toEqual([]);
    const text = c.out.join('\n');
    const pub = r.fake.objectsOf('0001').find((o) => o.class === CKO.PUBLIC_KEY)!;
    const priv = r.fake.objectsOf('0001').find((o) => o.class === CKO.PRIVATE_KEY)!;
    expect(priv).toMatchObject({ label: 'root-1', sensitive: true, extractable: false, sign: true, decrypt: false });
    // The printed fingerprint is that of the public key on the token.
    const point = pub.ecPoint!.subarray(2);
    const spki = new Uint8Array([...Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'), ...point]);
    const sha = createHash('sha256').update(spki).digest();
    expect(text).toContain(`generated ECDSA P-256 key "root-1" on token "custodian-1" (serial 0001)`);
    expect(text).toContain(`fingerprint (SHA-256 of the public key): ${groupHex(sha.subarray(0, 8).toString('hex'))}`);
    expect(text).toContain(`read aloud: ${bytesToWords(sha.subarray(0, 8)).join(' ')}`);
    expect(text).toContain(`full SHA-256: ${groupHex(sha.toString('hex'))}`);
    expect(text).toContain(`TUF key ID:    ${listPublicKey('tuf', spki).keyId}`);
    expect(text).toMatch(/Notary key ID: [0-9a-f]{64} \(as the bare key/);
    expect(text).not.toContain('REHEARSAL'); // not a SoftHSM2 module
    expect(text).not.toContain(PIN);
    // One login, nobody stays logged in, every session closed, the module finalised (this command loaded it).
    expect(r.fake.countCalls('login')).toBe(1);
    expect(r.fake.countCalls('openSession')).toBe(r.fake.countCalls('closeSession'));
    expect(r.fake.countCalls('finalize')).toBe(1);
    expect(r.prompts).toEqual([]);
  });

  it('--json: the documented shape', async () => {
    const r = rig();
    const c = capture();
    expect(await tokenGenerateCommand({ ...gen(), json: true }, c.io, r.deps)).toBe(0);
    const out = JSON.parse(c.out.join(''));
    expect(Object.keys(out)).toEqual(['ok', 'module', 'token', 'label', 'id', 'algorithm', 'fingerprint', 'keyIds', 'publicKeyPem', 'rehearsal', 'software', 'generation', 'selfTest']);
    expect(out.software).toBeNull();
    expect(out.generation).toMatchObject({
      template: 'full',
      readBack: { sensitive: true, extractable: false, sign: true, decrypt: false, unwrap: false, derive: false },
      proof: { value: 'refused (CKR_ATTRIBUTE_SENSITIVE)', wrap: 'refused (CKR_KEY_UNEXTRACTABLE)' },
    });
    expect(out).toMatchObject({ ok: true, module: MODULE, token: { label: 'custodian-1', serial: '0001' }, label: 'root-1', algorithm: 'ecdsa-p256', rehearsal: false, selfTest: 'verified' });
    expect(out.id).toMatch(/^[0-9a-f]{32}$/);
    const spki = spkiOfPem(out.publicKeyPem);
    const sha = createHash('sha256').update(spki).digest();
    expect(out.fingerprint).toEqual({ sha256: sha.toString('hex'), hex: sha.subarray(0, 8).toString('hex'), words: bytesToWords(sha.subarray(0, 8)) });
    expect(out.keyIds.tuf).toBe(listPublicKey('tuf', spki).keyId);
    expect(out.keyIds.notary).toBe(listPublicKey('notary', spki).keyId);
  });

  it.each([
    ['ecdsa-p384', 'ecdsa-p384', CKM.EC_KEY_PAIR_GEN],
    ['ed25519', 'ed25519', CKM.EC_EDWARDS_KEY_PAIR_GEN],
    ['rsa-3072', 'rsa-pss-sha256', CKM.RSA_PKCS_KEY_PAIR_GEN],
  ] as const)('--algorithm %s makes %s keys', async (flag, algorithm, mechanism) => {
    const r = rig();
    const c = capture();
    expect(await tokenGenerateCommand({ ...gen({ algorithm: flag }), json: true }, c.io, r.deps)).toBe(0);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ algorithm, selfTest: 'verified' });
    const call = r.fake.calls.find((x) => x.op === 'generateKeyPair')!;
    expect((call.args[1] as { type: number }).type).toBe(mechanism);
    if (flag === 'rsa-3072') expect(call.args[2]).toMatchObject({ keyType: CKK.RSA, modulusBits: 3072 });
  });

  it('--id sets CKA_ID (a YubiKey PIV slot); a bad --id or --algorithm is USAGE (exit 2) before anything is loaded', async () => {
    const r = rig([{ ...ONE, mechanisms: YUBIKEY_MECHANISMS }]);
    expect((await generate(r, { id: '0A' })).id).toBe('0a');
    for (const bad of [{ id: 'zz' }, { id: '1' }, { id: 'ab'.repeat(33) }, { algorithm: 'rsa-1024' }, { algorithm: 'ecdsa-sha2-nistp256' }]) {
      const r2 = rig();
      const c = capture();
      expect(await tokenGenerateCommand(gen(bad), c.io, r2.deps), JSON.stringify(bad)).toBe(2);
      expect(c.err[0]).toMatch(/^error\[USAGE\]/);
      expect(r2.fake.countCalls('login')).toBe(0);
    }
  });

  it('without --pin-env the PIN is asked on the terminal, after the token was found, naming it; the bytes are zeroed', async () => {
    const r = rig([ONE], { interactive: true });
    const c = capture();
    expect(await tokenGenerateCommand(gen({ pinEnv: undefined }), c.io, r.deps)).toBe(0);
    expect(r.prompts).toEqual(['PIN for token "custodian-1" (serial 0001), Fake Tokens Ltd Fake 1 (not shown as you type): ']);
    expect(r.handed).toHaveLength(1);
    expect(r.handed[0]!.every((b) => b === 0)).toBe(true);
    expect(c.all()).not.toContain(PIN);
  });

  it('no PIN source (no --pin-env, stdin not a terminal): USAGE, exit 2, nothing loaded', async () => {
    const r = rig();
    const c = capture();
    expect(await tokenGenerateCommand(gen({ pinEnv: undefined }), c.io, r.deps)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[USAGE\]: a PIN is needed and there is no terminal/);
    expect(r.loads).toEqual([]);
  });

  it('--pin-env naming an unset variable, or holding what looks like a PIN: USAGE, and the value is not repeated', async () => {
    for (const pinEnv of ['UNSET_PIN_VAR', '123456', PIN]) {
      const r = rig();
      const c = capture();
      expect(await tokenGenerateCommand(gen({ pinEnv }), c.io, r.deps)).toBe(2);
      expect(c.err[0]).toMatch(/^error\[USAGE\]/);
      expect(c.all()).not.toContain(pinEnv);
      expect(r.loads).toEqual([]);
    }
  });

  it('the wrong token (serial of another label) or a missing one: exit 3 before any PIN is asked', async () => {
    const r = rig([ONE, TWO], { interactive: true });
    const c = capture();
    expect(await tokenGenerateCommand(gen({ pinEnv: undefined, tokenLabel: 'custodian-2' }), c.io, r.deps)).toBe(3);
    expect(c.err[0]).toMatch(/^error\[TOKEN_NOT_PRESENT\]: .*labelled "custodian-1", not "custodian-2": it is not the expected token/);
    const c2 = capture();
    expect(await tokenGenerateCommand(gen({ pinEnv: undefined, token: '0009' }), c2.io, r.deps)).toBe(3);
    expect(c2.err[0]).toMatch(/^error\[TOKEN_NOT_PRESENT\]: the token with serial 0009 is not inserted/);
    expect(r.prompts).toEqual([]);
    expect(r.fake.countCalls('login')).toBe(0);
  });

  it('a key type the token cannot make, or a label it already shows: exit 3 before the PIN is asked', async () => {
    const r = rig([{ ...ONE, mechanisms: YUBIKEY_MECHANISMS }], { interactive: true });
    const c = capture();
    expect(await tokenGenerateCommand(gen({ pinEnv: undefined, algorithm: 'ed25519' }), c.io, r.deps)).toBe(3);
    expect(c.err[0]).toMatch(/^error\[MECHANISM_UNSUPPORTED\]: .*Ed25519/);
    expect(r.prompts).toHaveLength(0);
    expect(await tokenGenerateCommand(gen({ pinEnv: undefined }), capture().io, r.deps)).toBe(0);
    expect(r.prompts).toHaveLength(1);
    const again = capture();
    expect(await tokenGenerateCommand(gen({ pinEnv: undefined }), again.io, r.deps)).toBe(3);
    expect(again.err[0]).toMatch(/^error\[KEY_LABEL_EXISTS\]: .*no PIN was asked/);
    expect(r.prompts).toHaveLength(1);
  });

  it('a wrong PIN: PIN_INCORRECT, exit 3, --json error object, the PIN nowhere', async () => {
    const r = rig([ONE], { env: { TOKEN_PIN: WRONG_PIN } });
    const c = capture();
    expect(await tokenGenerateCommand({ ...gen(), json: true }, c.io, r.deps)).toBe(3);
    expect(c.err[0]).toMatch(/^error\[PIN_INCORRECT\]: .*custodian-1/);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ ok: false, error: { code: 'PIN_INCORRECT' } });
    expect(c.all()).not.toContain(WRONG_PIN);
    expect(r.fake.countCalls('generateKeyPair')).toBe(0);
  });

  it('whichever single PKCS#11 call fails, the command reports a code (exit 3), closes what it opened, and never prints the PIN', async () => {
    const count = rig([ONE]);
    expect(await tokenGenerateCommand(gen(), capture().io, count.deps)).toBe(0);
    const total = count.fake.calls.length;
    expect(total).toBeGreaterThan(10);
    const codes = new Set<string>();
    for (let i = 0; i < total; i++) {
      const r = rig([ONE], { interactive: true });
      r.fake.failCall(i, CKR.DEVICE_ERROR);
      const c = capture();
      const status = await tokenGenerateCommand({ ...gen({ pinEnv: undefined }), json: true }, c.io, r.deps);
      expect(c.all(), `call ${i}`).not.toContain(PIN);
      for (const b of r.handed) expect(b.every((x) => x === 0), `call ${i}: PIN zeroed`).toBe(true);
      if (status !== 0) {
        expect([1, 3], `call ${i}: ${c.err[0]}`).toContain(status);
        codes.add(JSON.parse(c.out.join('')).error.code);
      }
    }
    expect([...codes]).toEqual(expect.arrayContaining(['TOKEN_ERROR', 'TOKEN_MODULE_INVALID']));
  });
});

describe('tokens export', () => {
  async function prepared(specs: FakeTokenSpec[] = [ONE, TWO], algorithm = 'ecdsa-p256') {
    const r = rig(specs);
    const made = await generate(r, { algorithm });
    r.fake.calls.length = 0;
    return { r, made };
  }

  it('--profile tuf (default): the TUF key JSON on stdout, parsed by the profile with the key ID generate printed; no PIN', async () => {
    const { r, made } = await prepared();
    const c = capture();
    expect(await tokenExportCommand(exp(), c.io, r.deps)).toBe(0);
    const key = JSON.parse(c.out.join(''));
    expect(key).toMatchObject({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256' });
    const tuf = getProfile('tuf');
    expect(tuf.keyId(key)).toBe(made.keyIds.tuf);
    expect(tuf.parseKey(key, '$').fingerprint).toBe(made.fingerprint.sha256);
    expect(c.err.join('\n')).toContain(`key ID (tuf): ${made.keyIds.tuf}`);
    expect(r.fake.countCalls('login')).toBe(0);
  });

  it('--profile notary: the bare ecdsa key with the Notary key ID; --json shape; --out writes it', async () => {
    const { r, made } = await prepared();
    const out = join(tmp(), 'keys', 'root-1.notary.json');
    const c = capture();
    expect(await tokenExportCommand({ ...exp({ profile: 'notary', out }), json: true }, c.io, r.deps)).toBe(0);
    const j = JSON.parse(c.out.join(''));
    expect(Object.keys(j)).toEqual(['ok', 'module', 'token', 'label', 'id', 'algorithm', 'fingerprint', 'profile', 'keytype', 'keyId', 'keyIds', 'key', 'certificate', 'out', 'rehearsal']);
    expect(j).toMatchObject({ ok: true, profile: 'notary', keytype: 'ecdsa', keyId: made.keyIds.notary, keyIds: made.keyIds, id: made.id, certificate: null, out, rehearsal: false });
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written).toEqual(j.key);
    expect(written).toEqual({ keytype: 'ecdsa', keyval: { private: null, public: Buffer.from(spkiOfPem(made.publicKeyPem)).toString('base64') } });
    expect(getProfile('notary').keyId(written)).toBe(made.keyIds.notary);
    expect(r.fake.countCalls('login')).toBe(0);
  });

  it('--gun: an ecdsa-x509 key whose self-signed certificate is made on the token (PIN asked once, zeroed); CN = GUN, validity --cert-days', async () => {
    const { r, made } = await prepared();
    r.deps.interactive = true;
    const c = capture();
    expect(await tokenExportCommand({ ...exp({ gun: GUN, certDays: '365' }), json: true }, c.io, r.deps)).toBe(0);
    const j = JSON.parse(c.out.join(''));
    expect(j).toMatchObject({ profile: 'notary', keytype: 'ecdsa-x509', certificate: { subject: `CN=${GUN}`, notBefore: '2025-06-01T11:55:00.000Z', notAfter: '2026-06-01T12:00:00.000Z' } });
    const parsed = getProfile('notary').parseKey(j.key, '$');
    expect(parsed.fingerprint).toBe(made.fingerprint.sha256);
    expect(parsed.certificate).toMatchObject({ subjectCN: GUN, isCA: false });
    expect(getProfile('notary').keyId(j.key)).toBe(j.keyId);
    expect(j.keyId).not.toBe(made.keyIds.notary);
    const cert = new NodeX509(j.certificate.pem);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(createHash('sha256').update(cert.raw).digest('hex')).toBe(j.certificate.sha256);
    expect(r.prompts).toHaveLength(1);
    expect(r.handed.every((b) => b.every((x) => x === 0))).toBe(true);
    expect(r.fake.countCalls('sign')).toBe(1);
    expect(c.all()).not.toContain(PIN);
  });

  it('--gun for a key that asks the PIN before every signature: asked again for the certificate signature', async () => {
    const r = rig([ONE], { interactive: true });
    const mod = await TokenModule.load(MODULE, { api: r.fake });
    const s = await mod.openToken({ serial: '0001' });
    await s.login(PIN);
    await s.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'sig-9c', alwaysAuthenticate: true });
    await s.close();
    await mod.finalize();
    const c = capture();
    expect(await tokenExportCommand({ ...exp({ label: 'sig-9c', gun: GUN }), json: true }, c.io, r.deps)).toBe(0);
    expect(JSON.parse(c.out.join('')).keytype).toBe('ecdsa-x509');
    expect(r.prompts).toHaveLength(2);
    expect(r.handed.every((b) => b.every((x) => x === 0))).toBe(true);
  });

  it('never overwrites: an existing --out is OUTPUT_EXISTS (exit 2) before the token is opened or a PIN asked', async () => {
    const { r } = await prepared();
    r.deps.interactive = true;
    const out = join(tmp(), 'root.json');
    writeFileSync(out, 'mine');
    const c = capture();
    expect(await tokenExportCommand(exp({ gun: GUN, out }), c.io, r.deps)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]: root\.json already exists/);
    expect(readFileSync(out, 'utf8')).toBe('mine');
    expect(r.prompts).toEqual([]);
    expect(r.fake.calls).toEqual([]);
  });

  it('refusals: a certificate for an Ed25519 key (exit 1, before the PIN), --gun with --profile tuf or --cert-days alone (exit 2), an unknown label (exit 3)', async () => {
    const { r } = await prepared([ONE], 'ed25519');
    r.deps.interactive = true;
    const ed = capture();
    expect(await tokenExportCommand(exp({ gun: GUN }), ed.io, r.deps)).toBe(1);
    expect(ed.err[0]).toMatch(/^error\[KEY_TYPE_UNSUPPORTED\]: Notary root keys are ECDSA/);
    expect(r.prompts).toEqual([]);
    // Ed25519 keys export for both profiles without a certificate.
    const tufEd = capture();
    expect(await tokenExportCommand(exp(), tufEd.io, r.deps)).toBe(0);
    expect(JSON.parse(tufEd.out.join(''))).toMatchObject({ keytype: 'ed25519', scheme: 'ed25519' });
    for (const bad of [exp({ profile: 'tuf', gun: GUN }), exp({ certDays: '30' }), exp({ gun: GUN, certDays: '0' }), exp({ gun: GUN, certDays: '1e3' }), exp({ profile: 'x509' })]) {
      const c = capture();
      expect(await tokenExportCommand(bad, c.io, r.deps), JSON.stringify(bad)).toBe(2);
      expect(c.err[0]).toMatch(/^error\[USAGE\]/);
    }
    const none = capture();
    expect(await tokenExportCommand(exp({ label: 'no-such-key' }), none.io, r.deps)).toBe(3);
    expect(none.err[0]).toMatch(/^error\[TOKEN_KEY_NOT_FOUND\]: .*no public key labelled "no-such-key" \(it shows "root-1"\)/);
  });
});

describe('commander wiring', () => {
  function program(r: Rig) {
    let status = -1;
    const c = capture();
    const p = new Command('tuf-ceremony').exitOverride().configureOutput({ writeOut: (s) => c.io.out(s), writeErr: (s) => c.io.err(s) });
    registerTokensCommand(p, c.io, (s) => (status = s), r.deps);
    return { p, c, status: () => status };
  }

  it('tokens generate / export take their own --module and --json; the listing keeps its own', async () => {
    const r = rig();
    const g = program(r);
    await g.p.parseAsync(['tokens', 'generate', '--module', MODULE, '--token', '0001', '--token-label', 'custodian-1', '--algorithm', 'ecdsa-p256', '--label', 'root-1', '--pin-env', 'TOKEN_PIN', '--json'], { from: 'user' });
    expect(g.status()).toBe(0);
    const made = JSON.parse(g.c.out.join(''));
    const e = program(r);
    await e.p.parseAsync(['tokens', 'export', '--module', MODULE, '--token', '0001', '--label', 'root-1', '--profile', 'notary', '--json'], { from: 'user' });
    expect(e.status()).toBe(0);
    expect(JSON.parse(e.c.out.join('')).keyId).toBe(made.keyIds.notary);
    const l = program(r);
    await l.p.parseAsync(['tokens', '--module', MODULE, '--json'], { from: 'user' });
    expect(l.status()).toBe(0);
    expect(JSON.parse(l.c.out.join('')).modules[0].slots[0].token.serial).toBe('0001');
  });

  it('a missing required option is a commander usage error', async () => {
    const r = rig();
    const g = program(r);
    await expect(g.p.parseAsync(['tokens', 'generate', '--module', MODULE, '--token', '0001', '--label', 'k'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
    expect(g.c.err.join('')).toContain("required option '--algorithm <TYPE>' not specified");
    expect(r.loads).toEqual([]);
  });
});

describe('tokens that share a serial (tpm2-pkcs11, NSS), and module start-up parameters', () => {
  const ZERO = '0000000000000000';
  const SHARED: FakeTokenSpec[] = [
    { label: 'alice', serial: ZERO, pin: PIN },
    { label: 'bob', serial: ZERO, pin: PIN },
  ];

  it('--token-label alone picks the token; --token alone is TOKEN_AMBIGUOUS (exit 3) before any PIN; neither is USAGE', async () => {
    const r = rig(SHARED);
    const c = capture();
    expect(await tokenGenerateCommand({ ...gen({ token: undefined, tokenLabel: 'bob' }), json: true }, c.io, r.deps)).toBe(0);
    expect(JSON.parse(c.out.join('')).token).toEqual({ label: 'bob', serial: ZERO });
    const amb = capture();
    const r2 = rig(SHARED);
    expect(await tokenGenerateCommand(gen({ token: ZERO }), amb.io, r2.deps)).toBe(3);
    expect(amb.err[0]).toMatch(/^error\[TOKEN_AMBIGUOUS\]: .*choose one by label too \("alice", "bob"\)/);
    expect(r2.fake.countCalls('login')).toBe(0);
    const none = capture();
    expect(await tokenGenerateCommand(gen({ token: undefined }), none.io, rig(SHARED).deps)).toBe(2);
    expect(none.err[0]).toMatch(/^error\[USAGE\]: choose the token by --token SERIAL, --token-label LABEL, or both/);
    const exported = capture();
    expect(await tokenExportCommand({ ...exp({ token: undefined, tokenLabel: 'bob' }), json: true }, exported.io, r.deps)).toBe(0);
    expect(JSON.parse(exported.out.join('')).token).toEqual({ label: 'bob', serial: ZERO });
  });

  it('--module-params reaches C_Initialize', async () => {
    const params = "configdir='sql:/srv/nssdb' certPrefix='' keyPrefix='' secmod='secmod.db'";
    const r = rig([ONE]);
    r.fake.requiredParameters = params;
    const c = capture();
    expect(await tokenGenerateCommand({ ...gen({ moduleParams: params }), json: true }, c.io, r.deps)).toBe(0);
    expect(r.fake.calls[0]).toEqual({ op: 'initialize', args: [MODULE, params] });
    const without = rig([ONE]);
    without.fake.requiredParameters = params;
    const w = capture();
    expect(await tokenGenerateCommand(gen(), w.io, without.deps)).toBe(3);
    expect(w.err[0]).toMatch(/^error\[TOKEN_MODULE_INVALID\]: .*failed to start \(CKR_ARGUMENTS_BAD\)/);
  });
});
