/**
 * The PKCS#11 path on real SoftHSM2 tokens (Debian softhsm2 2.6.1, graphene-pk11 over pkcs11js): one
 * token per custodian, initialised by this test under a temp dir via SOFTHSM2_CONF. Keys are generated on
 * the tokens and cannot be read out (the test tries, twice, and is refused); signatures verify with
 * @noble/curves and node:crypto (and tuf-js for TUF); the Notary root certificate made by a token key is
 * accepted by `openssl verify -check_ss_sig`; a real Notary root and a real TUF root with keys on three
 * tokens verify with verifyRepository. Faults SoftHSM2 can produce are produced here (wrong PIN, token
 * deleted mid-session, missing or invalid module); SoftHSM never locks a PIN, so that one is in the unit
 * tests through the fake layer.
 *
 * The module is initialised once for the process and finalised in afterAll (FIELD-NOTES).
 */
import { execFileSync } from 'node:child_process';
import { createHash, verify as nodeVerify, createPublicKey, constants } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { Metadata, MetadataKind } from '@tufjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { tokensCommand } from '../../src/cli/tokens.js';
import { CeremonyError } from '../../src/errors.js';
import type { JsonObject } from '../../src/json/types.js';
import type { KeyAlgorithm } from '../../src/profiles/profile.js';
import { getProfile } from '../../src/profiles/index.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule, type TokenSession } from '../../src/signers/pkcs11/token.js';
import { openRehearsalTokens } from '../../src/signers/rehearsal.js';
import { SoftwareKey } from '../../src/signers/software.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { checkNotaryRootCertificates } from '../../src/tuf/notary-root.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { GUN, parseBytes } from '../support/repo.js';
import { buildSignedRepository, keyed } from '../support/signer-repo.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const CUSTODIANS = ['custodian-1', 'custodian-2', 'custodian-3', 'custodian-4'] as const;
const PINS: Record<string, string> = { 'custodian-1': '111111', 'custodian-2': '222222', 'custodian-3': '333333', 'custodian-4': '444444' };
const SO_PIN = '12345678';
const data = new TextEncoder().encode('canonical bytes signed on a token');
const now = new Date();

let dir: string;
let mod: TokenModule;
const sessions = new Map<string, TokenSession>();

function softhsmUtil(args: string[]): string {
  return execFileSync('softhsm2-util', args, { env: { ...process.env }, encoding: 'utf8' });
}

async function custodian(label: (typeof CUSTODIANS)[number]): Promise<TokenSession> {
  const open = sessions.get(label);
  if (open) return open;
  const tokens = await mod.listTokens();
  const serial = tokens.find((t) => t.label === label)!.serial;
  const session = await mod.openToken({ serial, label });
  await session.login(new TextEncoder().encode(PINS[label]!));
  sessions.set(label, session);
  return session;
}

async function refusal(p: Promise<unknown>): Promise<CeremonyError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

function verifyEverywhere(algorithm: KeyAlgorithm, spki: Uint8Array, sig: Uint8Array, hash: 'sha256' | 'sha384'): void {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  switch (algorithm) {
    case 'ed25519':
      expect(sig).toHaveLength(64);
      expect(nodeVerify(null, data, key, sig)).toBe(true);
      expect(ed25519.verify(sig, data, spki.subarray(-32))).toBe(true);
      break;
    case 'rsa-pss-sha256':
      expect(sig).toHaveLength(384);
      expect(nodeVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(true);
      break;
    default: {
      const p = algorithm === 'ecdsa-p256';
      expect(sig).toHaveLength(p ? 64 : 96);
      expect(nodeVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
      // Tokens return high-S half the time: @noble/curves v2 needs lowS: false (FIELD-NOTES).
      const digest = new Uint8Array(createHash(hash).update(data).digest());
      expect((p ? p256 : p384).verify(sig, digest, spki.subarray(spki.length - (p ? 65 : 97)), { prehash: false, lowS: false })).toBe(true);
    }
  }
}

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2 (apt-get install softhsm2)`);
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  execFileSync('mkdir', ['-p', join(dir, 'tokens')]);
  // Read by SoftHSM at C_Initialize (and by softhsm2-util): set before the module is loaded.
  process.env.SOFTHSM2_CONF = conf;
  for (const label of CUSTODIANS) softhsmUtil(['--init-token', '--free', '--label', label, '--pin', PINS[label]!, '--so-pin', SO_PIN]);
  mod = await TokenModule.load(SOFTHSM, { installHint: 'apt-get install softhsm2' });
});

afterAll(async () => {
  for (const s of sessions.values()) await s.close().catch(() => undefined);
  await mod?.finalize();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SoftHSM2 tokens', () => {
  it('lists one token per custodian with the mechanisms that matter', async () => {
    expect(mod.info.manufacturer).toBe('SoftHSM');
    expect(mod.rehearsal).toBe(true); // SoftHSM2 keys are always rehearsal keys
    const tokens = (await mod.listTokens()).filter((t) => t.initialized);
    expect(tokens.map((t) => t.label).sort()).toEqual([...CUSTODIANS]);
    for (const t of tokens) {
      expect(t).toMatchObject({ manufacturer: 'SoftHSM project', model: 'SoftHSM v2', pinStatus: 'ok', loginRequired: true });
      expect(t.serial).toMatch(/^[0-9a-f]{16}$/);
      // SoftHSM2 2.6.1 offers every key type we use (FIELD-NOTES: raw CKM_ECDSA, CKM_EDDSA).
      expect(t.capabilities).toEqual({ 'ecdsa-p256': true, 'ecdsa-p384': true, ed25519: true, 'rsa-pss-sha256': true });
      expect(t.mechanisms).toEqual(expect.arrayContaining(['CKM_ECDSA', 'CKM_EDDSA', 'CKM_RSA_PKCS_PSS', 'CKM_EC_EDWARDS_KEY_PAIR_GEN']));
      expect(t.mechanisms).not.toContain('CKM_ECDSA_SHA256');
      expect(t.rsaMaxBits).toBeGreaterThanOrEqual(3072);
    }
    // SoftHSM always keeps one free slot.
    expect((await mod.listTokens()).some((t) => !t.initialized)).toBe(true);
  });

  it('tuf-ceremony tokens --module softhsm2 --json lists them (and leaves the module loaded for the rest)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const status = await tokensCommand({ module: 'softhsm2', json: true }, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
    expect(err).toEqual([]);
    expect(status).toBe(0);
    const listing = JSON.parse(out.join(''));
    expect(listing.modules[0]).toMatchObject({ path: SOFTHSM, preset: 'softhsm2', manufacturer: 'SoftHSM', rehearsal: true });
    const labels = listing.modules[0].slots.map((s: { token: { label: string } | null }) => s.token?.label).filter(Boolean);
    expect(labels).toEqual(expect.arrayContaining([...CUSTODIANS]));
    expect((await mod.listTokens()).length).toBeGreaterThan(0); // still initialised
  });

  for (const [algorithm, hash] of [
    ['ecdsa-p256', 'sha256'],
    ['ecdsa-p384', 'sha384'],
    ['ed25519', 'sha256'],
    ['rsa-pss-sha256', 'sha256'],
  ] as const) {
    it(`${algorithm}: generated on the token, cannot be read out, signs what @noble/curves and node:crypto verify`, async () => {
      const session = await custodian('custodian-1');
      const key = await session.generateKeyPair({ algorithm, label: `key-${algorithm}`, rsaBits: 3072 });
      expect(key.origin).toMatchObject({ kind: 'token', rehearsal: true, token: { label: 'custodian-1' } });
      for (let i = 0; i < 4; i++) verifyEverywhere(algorithm, key.spki, await key.sign(data, hash), hash);
      // The test tries to read the private key out, both ways, and the token refuses.
      const report = await session.proveNotExtractable(key);
      expect(report).toEqual({ value: 'refused (CKR_ATTRIBUTE_SENSITIVE)', wrap: 'refused (CKR_KEY_UNEXTRACTABLE)' });
      const listed = (await session.listKeys()).find((k) => k.label === `key-${algorithm}`)!;
      expect(listed).toMatchObject({ algorithm, sensitive: true, extractable: false, fingerprint: key.fingerprint, problem: undefined });
      // Found again from another session by label and recorded fingerprint: the same public key.
      const again = await mod.openToken({ label: 'custodian-1' });
      await again.login(PINS['custodian-1']!); // already logged in for this process: accepted
      const found = await again.findKey({ label: `key-${algorithm}`, fingerprint: key.fingerprint });
      verifyEverywhere(algorithm, found.spki, await found.sign(data, hash), hash);
      await again.close();
    });
  }

  it('ECDSA signatures are returned as the token made them: high-S ones included, and they verify', async () => {
    const session = await custodian('custodian-1');
    const key = await session.findKey({ label: 'key-ecdsa-p256' });
    const n = p256.Point.CURVE().n;
    let high = 0;
    for (let i = 0; i < 32; i++) {
      const sig = await key.sign(data, 'sha256');
      if (BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`) > n / 2n) high++;
      verifyEverywhere('ecdsa-p256', key.spki, sig, 'sha256');
    }
    expect(high).toBeGreaterThan(0);
  });

  it('a label is never reused on a token', async () => {
    const session = await custodian('custodian-1');
    expect((await refusal(session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'key-ecdsa-p256' }))).code).toBe('KEY_LABEL_EXISTS');
  });
});

describe('faults SoftHSM2 can produce', () => {
  it('wrong PIN: PIN_INCORRECT (SoftHSM sets CKF_USER_PIN_COUNT_LOW), the PIN zeroed and absent from the message; the right PIN still works', async () => {
    const serial = (await mod.listTokens()).find((t) => t.label === 'custodian-3')!.serial;
    const session = await mod.openToken({ serial });
    const wrong = new TextEncoder().encode('999999');
    const err = await refusal(session.login(wrong));
    expect(err).toMatchObject({ code: 'PIN_INCORRECT', pinTries: 'count-low', rv: 'CKR_PIN_INCORRECT' });
    expect(err.message).toContain('custodian-3');
    expect(err.message).not.toContain('999999');
    expect(wrong.every((b) => b === 0)).toBe(true);
    await session.login(PINS['custodian-3']!);
    await session.close();
  });

  it('token removed between steps (deleted under a live session): TOKEN_REMOVED, not a stray error', async () => {
    const serial = (await mod.listTokens()).find((t) => t.label === 'custodian-4')!.serial;
    const session = await mod.openToken({ serial, label: 'custodian-4' });
    await session.login(PINS['custodian-4']!);
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'doomed' });
    softhsmUtil(['--delete-token', '--serial', serial]);
    const err = await refusal(key.sign(data, 'sha256'));
    expect(err.code).toBe('TOKEN_REMOVED');
    expect(err.message).toContain('custodian-4');
    expect((await refusal(session.checkPresent('signing'))).code).toBe('TOKEN_REMOVED');
    await session.close();
  });

  it('module not found, and a library that is not a PKCS#11 module', async () => {
    const missing = await refusal(TokenModule.load('/usr/lib/nonexistent/libnothing-pkcs11.so', { installHint: 'apt-get install ykcs11' }));
    expect(missing.code).toBe('TOKEN_MODULE_NOT_FOUND');
    expect(missing.message).toContain('apt-get install ykcs11');
    const libc = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/aarch64-linux-gnu/libc.so.6'].find((p) => existsSync(p));
    if (libc) expect((await refusal(TokenModule.load(libc))).code).toBe('TOKEN_MODULE_INVALID');
    // Through the CLI: `error[CODE]: message` first on stderr, exit 3 (token/hardware).
    const err: string[] = [];
    expect(await runCli(['tokens', '--module', '/usr/lib/nonexistent/libnothing-pkcs11.so'], { out: () => undefined, err: (t) => void err.push(t) })).toBe(3);
    expect(err[0]).toMatch(/^error\[TOKEN_MODULE_NOT_FOUND\]: the PKCS#11 module \/usr\/lib\/nonexistent\/libnothing-pkcs11\.so does not exist/);
  });
});

describe('Notary root certificate made by a token key', () => {
  it('openssl verify -check_ss_sig accepts it, and refuses a tampered copy', async () => {
    const session = await custodian('custodian-2');
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'notary-cert-check' });
    const cert = await makeNotaryRootCertificate(key, { gun: GUN, notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 3650 * 86400_000) });
    const pemPath = join(dir, 'c.pem');
    writeFileSync(pemPath, cert.pem);
    expect(execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', pemPath, pemPath], { encoding: 'utf8' })).toContain(': OK');
    const text = execFileSync('openssl', ['x509', '-in', pemPath, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('CA:FALSE');
    expect(text).toContain(`Subject: CN = ${GUN}`);
    expect(text).toContain('ecdsa-with-SHA256');
    // Flip a bit of the signature: without -check_ss_sig openssl would still say OK (FIELD-NOTES).
    const tampered = Uint8Array.from(cert.der);
    tampered[tampered.length - 3]! ^= 0x01;
    const badPath = join(dir, 'bad.pem');
    writeFileSync(badPath, `-----BEGIN CERTIFICATE-----\n${Buffer.from(tampered).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
    expect(() => execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', badPath, badPath], { stdio: 'pipe' })).toThrow();
    // Our Notary profile reads it as an ecdsa-x509 key.
    const parsed = getProfile('notary').parseKey(cert.listed.json, '$');
    expect(parsed.certificate).toMatchObject({ subjectCN: GUN, isCA: false, signatureHash: 'SHA-256' });
  });
});

describe('roots signed with keys on three tokens', () => {
  it('Notary: ecdsa-x509 root keys on three tokens (2 of 3), targets key on a token; verifyRepository accepts it', async () => {
    const rootKeys = [];
    for (const label of ['custodian-1', 'custodian-2', 'custodian-3'] as const) {
      const session = await custodian(label);
      rootKeys.push(await keyed('notary', await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'notary-root' }), { rootOf: GUN }));
    }
    const targets = await keyed('notary', await (await custodian('custodian-1')).generateKeyPair({ algorithm: 'ecdsa-p256', label: 'notary-targets' }));
    const { files, root } = await buildSignedRepository('notary', {
      root: { signers: rootKeys, threshold: 2, signing: rootKeys },
      targets: { signers: [targets], threshold: 1 },
      snapshot: { signers: [await keyed('notary', SoftwareKey.generate('ecdsa-p256'))], threshold: 1 },
      timestamp: { signers: [await keyed('notary', SoftwareKey.generate('ed25519'))], threshold: 1 },
    });
    const md = parseMetadata(root, 'root', { maxBytes: 1 << 20, source: 'root.json' });
    expect(checkNotaryRootCertificates(md, now, GUN)).toBe(GUN);
    expect(md.signatures.map((s) => s.method)).toEqual(['ecdsa', 'ecdsa', 'ecdsa']);
    for (const s of md.signatures) expect(Buffer.from(s.sig, 'base64')).toHaveLength(64); // raw r‖s
    const verified = verifyRepository(files, { trustedRoot: root, now, gun: GUN, requireComplete: true });
    expect(verified.rootResult).toMatchObject({ verified: true, threshold: 2, missing: [], invalid: [] });
    expect(verified.rootResult.signed).toHaveLength(3);
    expect(verified.targets?.result.verified).toBe(true);
  });

  it('TUF: root keys Ed25519, P-384 and RSA-3072 on three tokens (3 of 3), P-256 targets on a token; verifyRepository and tuf-js accept it', async () => {
    const rootKeys = [
      await keyed('tuf', await (await custodian('custodian-1')).generateKeyPair({ algorithm: 'ed25519', label: 'tuf-root' })),
      await keyed('tuf', await (await custodian('custodian-2')).generateKeyPair({ algorithm: 'ecdsa-p384', label: 'tuf-root' })),
      await keyed('tuf', await (await custodian('custodian-3')).generateKeyPair({ algorithm: 'rsa-pss-sha256', label: 'tuf-root', rsaBits: 3072 })),
    ];
    const targets = await keyed('tuf', await (await custodian('custodian-2')).generateKeyPair({ algorithm: 'ecdsa-p256', label: 'tuf-targets' }));
    const { files, root } = await buildSignedRepository('tuf', {
      root: { signers: rootKeys, threshold: 3 },
      targets: { signers: [targets], threshold: 1 },
      snapshot: { signers: [await keyed('tuf', SoftwareKey.generate('ed25519'))], threshold: 1 },
      timestamp: { signers: [await keyed('tuf', SoftwareKey.generate('ed25519'))], threshold: 1 },
    });
    expect(rootKeys.map((k) => (k.listed.json as JsonObject).scheme)).toEqual(['ed25519', 'ecdsa-sha2-nistp384', 'rsassa-pss-sha256']);
    const verified = verifyRepository(files, { trustedRoot: root, now, requireComplete: true });
    expect(verified.rootResult).toMatchObject({ verified: true, threshold: 3 });
    expect(verified.rootResult.signed).toHaveLength(3);
    // An independent verifier: tuf-js checks the Ed25519 and RSA-PSS root signatures and the P-256 (DER)
    // targets signature. (It verifies P-384 over SHA-256, so the P-384 signature is not its to judge.)
    const tufRoot = Metadata.fromJSON(MetadataKind.Root, parseBytes(root));
    const sigs = parseBytes(root).signatures as JsonObject[];
    const withoutP384 = { ...parseBytes(root), signatures: sigs.filter((s) => s.keyid !== rootKeys[1]!.listed.keyId) };
    const twoOfThree = Metadata.fromJSON(MetadataKind.Root, withoutP384);
    (twoOfThree.signed.roles.root as { threshold: number }).threshold = 2;
    twoOfThree.verifyDelegate(MetadataKind.Root, Metadata.fromJSON(MetadataKind.Root, withoutP384));
    tufRoot.verifyDelegate(MetadataKind.Targets, Metadata.fromJSON(MetadataKind.Targets, parseBytes(files.targets!)));
  });

  it('a rehearsal on SoftHSM2 initialises its own tokens in free slots and marks every key', async () => {
    const tokens = await openRehearsalTokens({ custodians: ['alice', 'bob'], softhsm: mod });
    try {
      expect(tokens.map((t) => [t.kind, t.token.label])).toEqual([
        ['softhsm2', 'rehearsal alice'],
        ['softhsm2', 'rehearsal bob'],
      ]);
      const key = await tokens[1]!.generateKey('ed25519', 'root-bob');
      expect(key.origin).toMatchObject({ kind: 'token', rehearsal: true, token: { label: 'rehearsal bob' } });
      verifyEverywhere('ed25519', key.spki, await key.sign(data, 'sha256'), 'sha256');
    } finally {
      for (const t of tokens) await t.close();
    }
  });
});
