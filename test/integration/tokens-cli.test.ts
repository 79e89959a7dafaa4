/**
 * `tuf-ceremony tokens generate` / `tokens export` end to end on real SoftHSM2 tokens (initialised by this
 * test under a temp dir via SOFTHSM2_CONF), through runCli as the bin runs it: keys generated on the
 * token for every algorithm, their public keys exported for both profiles and parsed back by the profiles
 * with the key IDs `generate` printed, and a Notary root certificate made on the token that
 * `openssl verify -check_ss_sig` accepts. Each command loads the module and finalises it when done.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { wordsToBytes } from '../../src/crypto/digest-words.js';
import { getProfile } from '../../src/profiles/index.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const PIN = 'Zq7-softhsm-pin';
const PIN_VAR = 'TUFC_TEST_TOKEN_PIN';
const GUN = 'registry.example.com/org/app';

let dir: string;
let serial: string;

function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  return runCli(args, { out: (t) => void out.push(t), err: (t) => void err.push(t) }).then((status) => ({ status, out: out.join('\n'), err: err.join('\n') }));
}

async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await cli([...args, '--json']);
  if (r.status !== 0) throw new Error(`${args.join(' ')} → ${r.status}: ${r.err}`);
  expect(r.out).not.toContain(PIN);
  expect(r.err).not.toContain(PIN);
  return JSON.parse(r.out) as Record<string, unknown>;
}

const base = () => ['--module', 'softhsm2', '--token', serial, '--token-label', 'cli-custodian'];

beforeAll(() => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2 (apt-get install softhsm2)`);
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-tokens-cli-'));
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'cli-custodian', '--pin', PIN, '--so-pin', '12345678'], { env: { ...process.env }, encoding: 'utf8' });
  const listing = execFileSync('softhsm2-util', ['--show-slots'], { env: { ...process.env }, encoding: 'utf8' });
  serial = /Serial number:\s+([0-9a-f]{16})/.exec(listing)![1]!;
  process.env[PIN_VAR] = PIN;
});

afterAll(() => {
  delete process.env[PIN_VAR];
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tokens generate / export on SoftHSM2', () => {
  const made: Record<string, { keyIds: { tuf: string; notary: string }; fingerprint: { sha256: string; words: string[] } }> = {};

  for (const [flag, algorithm, scheme] of [
    ['ecdsa-p256', 'ecdsa-p256', 'ecdsa-sha2-nistp256'],
    ['ecdsa-p384', 'ecdsa-p384', 'ecdsa-sha2-nistp384'],
    ['ed25519', 'ed25519', 'ed25519'],
    ['rsa-3072', 'rsa-pss-sha256', 'rsassa-pss-sha256'],
  ] as const) {
    it(`${flag}: generated on the token (a rehearsal key), exported for TUF and Notary with the key IDs generate printed`, async () => {
      const g = await json(['tokens', 'generate', ...base(), '--algorithm', flag, '--label', `k-${flag}`, '--pin-env', PIN_VAR]);
      expect(g).toMatchObject({ ok: true, module: SOFTHSM, token: { label: 'cli-custodian', serial }, label: `k-${flag}`, algorithm, rehearsal: true, selfTest: 'verified' });
      made[flag] = g as never;
      const fp = (g.fingerprint as { sha256: string }).sha256;

      const tufFile = join(dir, `k-${flag}.tuf.json`);
      const t = await json(['tokens', 'export', ...base(), '--label', `k-${flag}`, '--out', tufFile]);
      expect(t).toMatchObject({ profile: 'tuf', keyId: (g.keyIds as { tuf: string }).tuf, certificate: null, out: tufFile });
      const tufKey = JSON.parse(readFileSync(tufFile, 'utf8'));
      expect(tufKey.scheme).toBe(scheme);
      expect(getProfile('tuf').parseKey(tufKey, '$').fingerprint).toBe(fp);
      expect(getProfile('tuf').keyId(tufKey)).toBe((g.keyIds as { tuf: string }).tuf);

      const notaryFile = join(dir, `k-${flag}.notary.json`);
      const n = await json(['tokens', 'export', ...base(), '--label', `k-${flag}`, '--profile', 'notary', '--out', notaryFile]);
      const notaryKey = JSON.parse(readFileSync(notaryFile, 'utf8'));
      expect(notaryKey.keytype).toBe(algorithm === 'ed25519' ? 'ed25519' : algorithm === 'rsa-pss-sha256' ? 'rsa' : 'ecdsa');
      expect(getProfile('notary').parseKey(notaryKey, '$').fingerprint).toBe(fp);
      expect(getProfile('notary').keyId(notaryKey)).toBe((g.keyIds as { notary: string }).notary);
      expect(n.keyId).toBe((g.keyIds as { notary: string }).notary);
    });
  }

  it('the human output: fingerprint in hex groups and words, and both key IDs', async () => {
    const r = await cli(['tokens', 'generate', ...base(), '--algorithm', 'ecdsa-p256', '--label', 'human', '--pin-env', PIN_VAR]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/generated ECDSA P-256 key "human" on token "cli-custodian" \(serial [0-9a-f]{16}\) — REHEARSAL key/);
    // 128 bits of the fingerprint: 8 hex groups of 4, read aloud as 16 PGP words in 4 groups joined by " · ",
    // and the first 8 groups of the full SHA-256.
    const fp = /fingerprint \(SHA-256 of the public key\): ((?:[0-9a-f]{4} ){7}[0-9a-f]{4})\n/.exec(r.out)?.[1];
    expect(fp).toBeDefined();
    const aloud = /read aloud: ((?:\S+ ){3}\S+(?: · (?:\S+ ){3}\S+){3})\n/.exec(r.out)?.[1];
    expect(aloud).toBeDefined();
    expect(wordsToBytes(aloud!.replaceAll(' · ', ' '))).toEqual({ ok: true, bytes: new Uint8Array(Buffer.from(fp!.replaceAll(' ', ''), 'hex')) });
    expect(r.out).toMatch(new RegExp(`full SHA-256: ${fp} (?:[0-9a-f]{4} ){7}[0-9a-f]{4}\\n`));
    expect(r.out).toMatch(/TUF key ID: +[0-9a-f]{64}/);
    expect(r.out).toMatch(/Notary key ID: [0-9a-f]{64}/);
    expect(r.out + r.err).not.toContain(PIN);
  });

  it('--gun: an ecdsa-x509 root key whose certificate, made on the token, openssl verify -check_ss_sig accepts', async () => {
    const out = join(dir, 'root.notary-x509.json');
    const x = await json(['tokens', 'export', ...base(), '--label', 'k-ecdsa-p256', '--gun', GUN, '--cert-days', '730', '--pin-env', PIN_VAR, '--out', out]);
    expect(x).toMatchObject({ profile: 'notary', keytype: 'ecdsa-x509', certificate: { subject: `CN=${GUN}` } });
    const key = JSON.parse(readFileSync(out, 'utf8'));
    expect(key).toEqual(x.key);
    const parsed = getProfile('notary').parseKey(key, '$');
    expect(parsed.fingerprint).toBe(made['ecdsa-p256']!.fingerprint.sha256);
    expect(parsed.certificate).toMatchObject({ subjectCN: GUN, isCA: false, signatureHash: 'SHA-256' });
    expect(getProfile('notary').keyId(key)).toBe(x.keyId);
    // The certificate is the one listed: base64 of its PEM.
    const pem = Buffer.from(key.keyval.public, 'base64').toString('utf8');
    expect(pem).toBe((x.certificate as { pem: string }).pem);
    const pemPath = join(dir, 'root-cert.pem');
    writeFileSync(pemPath, pem);
    expect(execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', pemPath, pemPath], { encoding: 'utf8' })).toContain(': OK');
    const text = execFileSync('openssl', ['x509', '-in', pemPath, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain(`Subject: CN = ${GUN}`);
    expect(text).toContain('CA:FALSE');
    // P-384 root keys sign their certificate with SHA-384.
    const x384 = await json(['tokens', 'export', ...base(), '--label', 'k-ecdsa-p384', '--gun', GUN, '--pin-env', PIN_VAR]);
    const pem384 = join(dir, 'root-384.pem');
    writeFileSync(pem384, (x384.certificate as { pem: string }).pem);
    expect(execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', pem384, pem384], { encoding: 'utf8' })).toContain(': OK');
    expect(execFileSync('openssl', ['x509', '-in', pem384, '-noout', '-text'], { encoding: 'utf8' })).toContain('ecdsa-with-SHA384');
  });

  it('refusals: an existing --out (exit 2, untouched), a wrong PIN (exit 3), an Ed25519 certificate (exit 1), a missing option (exit 2)', async () => {
    const taken = join(dir, 'k-ecdsa-p256.tuf.json');
    const before = readFileSync(taken, 'utf8');
    const exists = await cli(['tokens', 'export', ...base(), '--label', 'k-ecdsa-p256', '--out', taken]);
    expect(exists.status).toBe(2);
    expect(exists.err).toMatch(/^error\[OUTPUT_EXISTS\]/);
    expect(readFileSync(taken, 'utf8')).toBe(before);

    process.env.TUFC_WRONG_PIN = '999999';
    try {
      const wrong = await cli(['tokens', 'generate', ...base(), '--algorithm', 'ecdsa-p256', '--label', 'never', '--pin-env', 'TUFC_WRONG_PIN']);
      expect(wrong.status).toBe(3);
      expect(wrong.err).toMatch(/^error\[PIN_INCORRECT\]: .*cli-custodian/);
      expect(wrong.out + wrong.err).not.toContain('999999');
    } finally {
      delete process.env.TUFC_WRONG_PIN;
    }

    const ed = await cli(['tokens', 'export', ...base(), '--label', 'k-ed25519', '--gun', GUN, '--pin-env', PIN_VAR]);
    expect(ed.status).toBe(1);
    expect(ed.err).toMatch(/^error\[KEY_TYPE_UNSUPPORTED\]/);

    const usage = await cli(['tokens', 'generate', ...base(), '--label', 'x', '--pin-env', PIN_VAR]);
    expect(usage.status).toBe(2);
    expect(usage.err).toMatch(/^error\[USAGE\]: required option '--algorithm <TYPE>' not specified/);

    // Every command finalised the module it loaded: nothing is left initialised in this process.
    expect(TokenModule.isLoaded(SOFTHSM)).toBe(false);
  });
});
