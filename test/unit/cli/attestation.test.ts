/**
 * `tuf-ceremony attestation verify` through runCli: the real Docker TUF ceremony YubiKey attestations
 * (test/vectors/yubikey-attestation, sources named in test/unit/attestation/verify.test.ts) verify against
 * the bundled Yubico roots, in words and as --json; a TEST PKI verifies only with --attestation-roots and is
 * then labelled as not Yubico's; each refusal prints `error[CODE]` and exits 1; usage errors exit 2.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pemOfCertificate } from '../../../src/attestation/pem.js';
import { runCli } from '../../../src/cli/program.js';
import { captureIo } from '../../support/cli-io.js';
import { attestationCertificate, makeTestAttestationPki } from '../../support/piv/attestation-ca.js';

const VECTORS = join(import.meta.dirname, '..', '..', 'vectors', 'yubikey-attestation');
const dir = mkdtempSync(join(tmpdir(), 'attestation-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]) {
  const c = captureIo();
  const status = await runCli(args, c.io);
  return { status, out: c.out.join(''), err: c.err.join('') };
}

describe('tuf-ceremony attestation verify', () => {
  it('verifies a real YubiKey attestation against the bundled Yubico roots', async () => {
    const r = await cli('attestation', 'verify', join(VECTORS, 'docker-tuf-25515003-slot9c.pem'), join(VECTORS, 'docker-tuf-25515003-f9.pem'));
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/was generated on YubiKey serial 25515003, firmware \d+\.\d+\.\d+, slot 9c/);
    expect(r.out).toContain('"Yubico PIV Root CA Serial 263751"');
    const j = await cli('attestation', 'verify', join(VECTORS, 'docker-tuf-28751288-slot9c.pem'), join(VECTORS, 'docker-tuf-28751288-f9.pem'), '--json');
    expect(j.status).toBe(0);
    const parsed = JSON.parse(j.out) as { ok: boolean; attestation: { serial: number; slot: string; root: { bundled: boolean }; attestedKeySha256: string } };
    expect(parsed.ok).toBe(true);
    expect(parsed.attestation).toMatchObject({ serial: 28751288, slot: '9c', root: { bundled: true } });
    expect(parsed.attestation.attestedKeySha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a TEST PKI verifies only with --attestation-roots, and says it is not Yubico', async () => {
    const pki = await makeTestAttestationPki('current');
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const spki = new Uint8Array(key.export({ type: 'spki', format: 'der' }));
    const leaf = await attestationCertificate(pki.f9KeyPkcs8, pki.f9CertDer, spki, { slot: 0x9d, firmware: [5, 7, 4], serial: 42, pinPolicy: 2, touchPolicy: 1, formFactor: 1 });
    writeFileSync(join(dir, 'att.pem'), pemOfCertificate(leaf));
    writeFileSync(join(dir, 'f9.der'), pki.f9CertDer);
    writeFileSync(join(dir, 'roots.pem'), [pki.rootPem, ...pki.intermediatePems].join('\n'));
    writeFileSync(join(dir, 'key.pem'), key.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'other.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    const unknown = await cli('attestation', 'verify', join(dir, 'att.pem'), join(dir, 'f9.der'));
    expect(unknown.status).toBe(1);
    expect(unknown.err).toMatch(/^error\[ATTESTATION_UNKNOWN_ROOT\]/);
    const ok = await cli('attestation', 'verify', join(dir, 'att.pem'), join(dir, 'f9.der'), '--attestation-roots', join(dir, 'roots.pem'), '--expect-key', join(dir, 'key.pem'));
    expect(ok.status, ok.err).toBe(0);
    expect(ok.out).toContain('serial 42, firmware 5.7.4, slot 9d');
    expect(ok.out).toContain('NOT a Yubico root');
    const mismatch = await cli('attestation', 'verify', join(dir, 'att.pem'), join(dir, 'f9.der'), '--attestation-roots', join(dir, 'roots.pem'), '--expect-key', join(dir, 'other.pem'), '--json');
    expect(mismatch.status).toBe(1);
    expect(mismatch.err).toMatch(/^error\[ATTESTATION_KEY_MISMATCH\]/);
    expect(JSON.parse(mismatch.out)).toMatchObject({ ok: false, error: { code: 'ATTESTATION_KEY_MISMATCH' } });
  });

  it('refuses broken inputs with their codes', async () => {
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n');
    const cases: Array<[string[], number, string]> = [
      [[join(VECTORS, 'docker-tuf-25515003-slot9c.pem'), join(VECTORS, 'docker-tuf-28751288-f9.pem')], 1, 'ATTESTATION_CHAIN_BROKEN'],
      [[join(dir, 'junk.pem'), join(VECTORS, 'docker-tuf-25515003-f9.pem')], 1, 'ATTESTATION_MALFORMED'],
      [[join(VECTORS, 'docker-tuf-25515003-slot9c.pem'), join(dir, 'missing.pem')], 2, 'FILE_NOT_FOUND'],
      [[join(VECTORS, 'docker-tuf-25515003-slot9c.pem')], 2, 'USAGE'],
    ];
    for (const [args, status, code] of cases) {
      const r = await cli('attestation', 'verify', ...args);
      expect([r.status, r.err.split(']')[0]], args.join(' ')).toEqual([status, `error[${code}`]);
    }
  });
});
