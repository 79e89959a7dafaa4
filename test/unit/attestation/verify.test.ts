/**
 * YubiKey PIV attestation verification (src/attestation) on real certificates where public ones exist:
 * - firmware < 5.7.4, full chain: the 9C attestation and f9 certificates of two YubiKeys from Docker's
 *   TUF root ceremony of 2024-06-04 (github.com/docker/tuf, ceremony/2024-06-04/keys/25515003 and
 *   28751288, commit 506e6f246a5031e68312269667935d6eb81744a5), verified against the bundled
 *   `Yubico PIV Root CA Serial 263751`;
 * - firmware 5.7.4: a real 9A attestation certificate of YubiKey 36345471 (github.com/Digital-Frontier-LDA/
 *   regalia-ceremony, qubes/emulator/tests/fixtures/yubikey-attestation/att-36345471.pem, commit
 *   f389852a125aa1d263b9cd357db996faac7bbe1e) — its extensions are parsed; its f9 certificate is not
 *   public, so the 5.7.4+ chain below f9 is tested with Yubico's published intermediates and root (each
 *   link verified) and end to end with a TEST PKI made the way the emulator makes one.
 */
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyYubicoAttestation, describeAttestation } from '../../../src/attestation/verify.js';
import { parseYubicoAttestation } from '../../../src/attestation/yubico-extensions.js';
import { trustFromCertificates, yubicoTrust } from '../../../src/attestation/yubico-pki.js';
import { CeremonyError } from '../../../src/errors.js';
import { attestationCertificate, makeTestAttestationPki } from '../../support/piv/attestation-ca.js';

const VECTORS = join(import.meta.dirname, '..', '..', 'vectors', 'yubikey-attestation');
const der = (name: string) => new Uint8Array(new X509Certificate(readFileSync(join(VECTORS, name))).raw);
const NOW = new Date('2026-12-01T00:00:00Z');

function code(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    if (e instanceof CeremonyError) return e.code;
    throw e;
  }
}

describe('real YubiKey attestations, firmware before 5.7.4 (Docker TUF ceremony 2024-06-04)', () => {
  for (const serial of [25515003, 28751288]) {
    it(`YubiKey ${serial}: 9c attestation → f9 → bundled Yubico PIV Root CA Serial 263751`, () => {
      const leaf = der(`docker-tuf-${serial}-slot9c.pem`);
      const f9 = der(`docker-tuf-${serial}-f9.pem`);
      const result = verifyYubicoAttestation(leaf, f9, { now: NOW, expectedSpki: new Uint8Array(new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' })) });
      expect(result.serial).toBe(serial);
      expect(result.slot).toBe('9c');
      expect(result.expectedFamily).toBe('legacy');
      expect(result.chain).toEqual(['YubiKey PIV Attestation 9c', 'Yubico PIV Attestation', 'Yubico PIV Root CA Serial 263751']);
      expect(result.root.bundled).toBe(true);
      expect(['once', 'always', 'never']).toContain(result.pinPolicy);
      expect(describeAttestation(result)).toContain(`YubiKey serial ${serial}, firmware ${result.firmware}`);
    });
  }

  it('refuses each broken case with its own code', () => {
    const leaf = der('docker-tuf-25515003-slot9c.pem');
    const f9 = der('docker-tuf-25515003-f9.pem');
    const otherF9 = der('docker-tuf-28751288-f9.pem');
    const otherKey = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' }));
    const facts = parseYubicoAttestation(leaf, 'YubiKey PIV Attestation 9c', 'x');
    const cases: Array<[string, () => unknown, string]> = [
      ['f9 certificate of another YubiKey', () => verifyYubicoAttestation(leaf, otherF9, { now: NOW }), 'ATTESTATION_CHAIN_BROKEN'],
      ['attestation and f9 swapped', () => verifyYubicoAttestation(f9, leaf, { now: NOW }), 'ATTESTATION_MALFORMED'],
      ['a different key in use', () => verifyYubicoAttestation(leaf, f9, { now: NOW, expectedSpki: otherKey }), 'ATTESTATION_KEY_MISMATCH'],
      ['a PIN policy the plan forbids', () => verifyYubicoAttestation(leaf, f9, { now: NOW, policy: { pin: ['match-always'] } }), 'ATTESTATION_POLICY_FORBIDDEN'],
      ['a touch policy the plan forbids', () => verifyYubicoAttestation(leaf, f9, { now: NOW, policy: { touch: facts.touchPolicy === 'always' ? ['never'] : ['always'] } }), 'ATTESTATION_POLICY_FORBIDDEN'],
      ['after the Yubico root expires (2052)', () => verifyYubicoAttestation(leaf, f9, { now: new Date('2053-01-01T00:00:00Z') }), 'ATTESTATION_CHAIN_BROKEN'],
      ['not a certificate', () => verifyYubicoAttestation(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), f9, { now: NOW }), 'ATTESTATION_MALFORMED'],
      ['over the size cap', () => verifyYubicoAttestation(new Uint8Array(20_000), f9, { now: NOW }), 'INPUT_TOO_LARGE'],
    ];
    for (const [what, fn, expected] of cases) expect(code(fn), what).toBe(expected);
  });
});

describe('firmware 5.7.4 and later', () => {
  it('parses the Yubico extensions of a real 5.7.4 attestation certificate (YubiKey 36345471, slot 9a)', () => {
    const leaf = der('regalia-36345471-slot9a.pem');
    const facts = parseYubicoAttestation(leaf, 'YubiKey PIV Attestation 9a', 'att');
    expect(facts).toEqual({ slot: '9a', serial: 36345471, firmware: '5.7.4', pinPolicy: 'once', touchPolicy: 'never', formFactor: 'USB-A keychain', fips: false });
    // Its f9 certificate is not public: with another device's f9 the chain is refused, not guessed at.
    expect(code(() => verifyYubicoAttestation(leaf, der('docker-tuf-25515003-f9.pem'), { now: NOW }))).toBe('ATTESTATION_CHAIN_BROKEN');
  });

  it("Yubico's published PIV intermediates chain to Yubico Attestation Root 1 link by link", () => {
    const trust = yubicoTrust();
    const root1 = trust.roots.find((r) => r.subject === 'CN=Yubico Attestation Root 1')!;
    const byName = (n: string) => trust.intermediates.find((c) => c.subject === `CN=${n}`)!.cert;
    for (const [piv, mid] of [
      ['Yubico PIV Attestation A 1', 'Yubico Attestation Intermediate A 1'],
      ['Yubico PIV Attestation B 1', 'Yubico Attestation Intermediate B 1'],
      ['Yubico PIV Attestation B2 1', 'Yubico Attestation Intermediate B 1'],
    ] as const) {
      expect(byName(piv).verify(byName(mid).publicKey), piv).toBe(true);
      expect(byName(mid).verify(root1.cert.publicKey), mid).toBe(true);
    }
    expect(trust.roots.map((r) => r.subject)).toEqual(['CN=Yubico PIV Root CA Serial 263751', 'CN=Yubico PIV Root CA Serial 263751', 'CN=Yubico Attestation Root 1']);
  });

  it('an emulator-made chain (TEST PKI of the 5.7.4+ shape) verifies only against its own roots', async () => {
    const pki = await makeTestAttestationPki('current');
    const slotKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const spki = new Uint8Array(slotKey.export({ type: 'spki', format: 'der' }));
    const leaf = await attestationCertificate(pki.f9KeyPkcs8, pki.f9CertDer, spki, { slot: 0x82, firmware: [5, 7, 4], serial: 31000001, pinPolicy: 3, touchPolicy: 2, formFactor: 0x83 });
    const testTrust = trustFromCertificates([pki.rootPem, ...pki.intermediatePems].map((p) => new X509Certificate(p)));
    const ok = verifyYubicoAttestation(leaf, pki.f9CertDer, { trust: testTrust, now: NOW, expectedSpki: spki, policy: { pin: ['always'], touch: ['always', 'cached'] } });
    expect(ok).toMatchObject({ slot: '82', serial: 31000001, firmware: '5.7.4', pinPolicy: 'always', touchPolicy: 'always', formFactor: 'USB-C keychain', fips: true, expectedFamily: 'current' });
    expect(ok.chain).toEqual(['YubiKey PIV Attestation 82', 'TEST Yubico PIV Attestation', 'TEST Yubico PIV Attestation A 1', 'TEST Yubico Attestation Intermediate A 1', 'TEST Yubico Attestation Root 1']);
    expect(ok.root.bundled).toBe(false);
    expect(describeAttestation(ok)).toContain('NOT a Yubico root');

    // The same chain against Yubico's bundled roots: unknown root. Against another TEST PKI with the same
    // names: a link whose signature fails. Without the intermediates: unknown root.
    expect(code(() => verifyYubicoAttestation(leaf, pki.f9CertDer, { now: NOW }))).toBe('ATTESTATION_UNKNOWN_ROOT');
    const other = await makeTestAttestationPki('current');
    const otherTrust = trustFromCertificates([other.rootPem, ...other.intermediatePems].map((p) => new X509Certificate(p)));
    expect(code(() => verifyYubicoAttestation(leaf, pki.f9CertDer, { trust: otherTrust, now: NOW }))).toBe('ATTESTATION_CHAIN_BROKEN');
    expect(code(() => verifyYubicoAttestation(leaf, pki.f9CertDer, { trust: trustFromCertificates([new X509Certificate(pki.rootPem)]), now: NOW }))).toBe('ATTESTATION_UNKNOWN_ROOT');
    // A certificate without the Yubico extensions is not an attestation.
    expect(code(() => verifyYubicoAttestation(pki.f9CertDer, pki.f9CertDer, { trust: testTrust, now: NOW }))).toBe('ATTESTATION_MALFORMED');
    expect(createPublicKey(ok.attestedKeyPem).export({ type: 'spki', format: 'der' })).toEqual(Buffer.from(spki));
  });
});
