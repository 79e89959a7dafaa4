/**
 * Notary root certificates made by a key (software, and on the fake token), read back with our own
 * certificate parser and held to Notary's rules (tuf/notary-root.ts); key listings per profile and the
 * MetadataSigner adapter (the digest each profile signs), end to end through verifyRepository.
 */
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { parseCertificatePem } from '../../../src/profiles/x509.js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import { makeNotaryRootCertificate, notaryTbsCertificate, type TbsFields } from '../../../src/signers/certificate.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { listPublicKey, notaryBareKeyId } from '../../../src/signers/public-key-json.js';
import { signatureHashFor } from '../../../src/signers/signing-key.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { checkNotaryRootCertificates } from '../../../src/tuf/notary-root.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { FakePkcs11 } from '../../support/fake-pkcs11.js';
import { GUN } from '../../support/repo.js';
import { buildSignedRepository, keyed } from '../../support/signer-repo.js';

const DAY = 24 * 3600 * 1000;
const now = new Date();
const validity = { gun: GUN, notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 3650 * DAY) };

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<CeremonyError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

describe('Notary root certificate', () => {
  for (const algorithm of ['ecdsa-p256', 'ecdsa-p384'] as const) {
    it(`${algorithm}: a self-signed leaf, CN = GUN, validity from the plan, not SHA-1, Go PEM`, async () => {
      const key = SoftwareKey.generate(algorithm);
      const cert = await makeNotaryRootCertificate(key, validity);
      expect(cert.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/);
      const parsed = parseCertificatePem(cert.pem, '$');
      expect(parsed.info).toMatchObject({ subjectCN: GUN, isCA: false, signatureHash: algorithm === 'ecdsa-p256' ? 'SHA-256' : 'SHA-384' });
      expect(parsed.info.notBefore.getTime()).toBe(Math.floor(validity.notBefore.getTime() / 1000) * 1000);
      expect(parsed.info.notAfter.getTime()).toBe(Math.floor(validity.notAfter.getTime() / 1000) * 1000);
      expect(Buffer.from(parsed.spki).equals(Buffer.from(key.spki))).toBe(true);
      const x = new X509Certificate(cert.der);
      expect(x.ca).toBe(false);
      expect(x.subject).toBe(`CN=${GUN}`);
      expect(x.issuer).toBe(x.subject);
      expect(x.verify(x.publicKey)).toBe(true);
      expect(x.keyUsage).toBeUndefined(); // no EKU (codeSigning breaks trust_pinning.ca)
      expect(cert.listed.json).toMatchObject({ keytype: 'ecdsa-x509', keyval: { private: null } });
      expect(Buffer.from((cert.listed.json.keyval as JsonObject).public as string, 'base64').toString()).toBe(cert.pem);
      expect(cert.listed.keyId).toBe(getProfile('notary').keyId(cert.listed.json));
      expect(cert.listed.key.certificate?.subjectCN).toBe(GUN);
    });
  }

  it('the TBSCertificate written in DER by hand is, byte for byte, the one @peculiar/asn1-x509 writes', () => {
    // The oracle: the same certificate body built field by field with the ASN.1 library.
    const oracle = (f: TbsFields): Uint8Array => {
      const ext = (id: string, critical: boolean, value: unknown) => new x509.Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
      const name = new x509.Name([new x509.RelativeDistinguishedName([new x509.AttributeTypeAndValue({ type: '2.5.4.3', value: new x509.AttributeValue({ utf8String: f.commonName }) })])]);
      const spki = AsnConvert.parse(Uint8Array.from(f.spki).buffer, x509.SubjectPublicKeyInfo);
      const ski = createHash('sha256').update(new Uint8Array(spki.subjectPublicKey)).digest().subarray(0, 20);
      const tbs = new x509.TBSCertificate({
        version: x509.Version.v3,
        serialNumber: Uint8Array.from(f.serialNumber).buffer,
        signature: new x509.AlgorithmIdentifier({ algorithm: f.signatureOid }),
        issuer: name,
        validity: new x509.Validity({ notBefore: f.notBefore, notAfter: f.notAfter }),
        subject: name,
        subjectPublicKeyInfo: spki,
        extensions: new x509.Extensions([
          ext(x509.id_ce_basicConstraints, true, new x509.BasicConstraints({ cA: false })),
          ext(x509.id_ce_keyUsage, true, new x509.KeyUsage(x509.KeyUsageFlags.digitalSignature)),
          ext(x509.id_ce_subjectKeyIdentifier, false, new x509.SubjectKeyIdentifier(Uint8Array.from(ski).buffer)),
        ]),
      });
      return new Uint8Array(AsnConvert.serialize(tbs));
    };
    const cases: [string, Date, Date][] = [
      ['a', new Date('2026-01-02T03:04:05Z'), new Date('2036-12-31T23:59:59Z')],
      [GUN, new Date('2049-12-31T23:59:59Z'), new Date('2050-01-01T00:00:00Z')],
      ['registry.example.com/' + 'x'.repeat(100), new Date('2030-06-01T00:00:00Z'), new Date('2125-06-01T00:00:00Z')],
      ['r'.repeat(255), new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z')],
      ['registry.example.com/équipe/app-ü', new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z')],
    ];
    for (const [algorithm, oid] of [['ecdsa-p256', '1.2.840.10045.4.3.2'], ['ecdsa-p384', '1.2.840.10045.4.3.3']] as const) {
      const key = SoftwareKey.generate(algorithm);
      for (const [commonName, notBefore, notAfter] of cases) {
        for (const serialNumber of [Uint8Array.of(1), Uint8Array.from({ length: 20 }, (_, i) => 0x40 + i)]) {
          const f: TbsFields = { spki: key.spki, fingerprint: key.fingerprint, signatureOid: oid, serialNumber, commonName, notBefore, notAfter };
          expect(Buffer.from(notaryTbsCertificate(f)).toString('hex')).toBe(Buffer.from(oracle(f)).toString('hex'));
        }
      }
    }
  });

  it('a key whose signature does not verify gives no certificate (TOKEN_SIGNATURE_INVALID from the key)', async () => {
    const fake = new FakePkcs11([{ label: 'custodian-1', serial: '0001', pin: '123456' }]);
    const mod = await TokenModule.load('/fake.so', { api: fake });
    const session = await mod.openToken({ serial: '0001' });
    await session.login('123456');
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root' });
    const signsBefore = fake.countCalls('sign');
    fake.corruptNextSignature();
    expect((await refusal(makeNotaryRootCertificate(key, validity))).code).toBe('TOKEN_SIGNATURE_INVALID');
    expect(fake.countCalls('sign')).toBe(signsBefore + 1);
    // The next one is made and verifies.
    const cert = await makeNotaryRootCertificate(key, validity);
    expect(new X509Certificate(cert.der).verify(new X509Certificate(cert.der).publicKey)).toBe(true);
  });

  it('made on a (fake) token: the private key never leaves it, the signature is the token’s', async () => {
    const fake = new FakePkcs11([{ label: 'custodian-1', serial: '0001', pin: '123456' }]);
    const mod = await TokenModule.load('/fake.so', { api: fake });
    const session = await mod.openToken({ serial: '0001' });
    await session.login('123456');
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'root' });
    const signsBefore = fake.countCalls('sign');
    const cert = await makeNotaryRootCertificate(key, validity);
    expect(fake.countCalls('sign')).toBe(signsBefore + 1);
    expect(new X509Certificate(cert.der).verify(new X509Certificate(cert.der).publicKey)).toBe(true);
  });

  it('three certificates in a root pass checkNotaryRootCertificates, and the repository verifies', async () => {
    const rootKeys = await Promise.all([0, 1, 2].map(() => keyed('notary', SoftwareKey.generate('ecdsa-p256'), { rootOf: GUN })));
    const other = async () => keyed('notary', SoftwareKey.generate('ecdsa-p256'));
    const timestamp = await keyed('notary', SoftwareKey.generate('ed25519'));
    const { files, root } = await buildSignedRepository('notary', {
      root: { signers: rootKeys, threshold: 2 },
      targets: { signers: [await other()], threshold: 1 },
      snapshot: { signers: [await other()], threshold: 1 },
      timestamp: { signers: [timestamp], threshold: 1 },
    });
    const md = parseMetadata(root, 'root', { maxBytes: 1 << 20, source: 'root.json' });
    expect(checkNotaryRootCertificates(md, now, GUN)).toBe(GUN);
    const verified = verifyRepository(files, { trustedRoot: root, now, gun: GUN, requireComplete: true });
    expect(verified.rootResult).toMatchObject({ verified: true, threshold: 2 });
    expect(verified.rootResult.signed).toHaveLength(2);
  });

  it('refuses what Notary would refuse or cannot express', async () => {
    expect((await refusal(makeNotaryRootCertificate(SoftwareKey.generate('ed25519'), validity))).code).toBe('KEY_TYPE_UNSUPPORTED');
    const key = SoftwareKey.generate('ecdsa-p256');
    expect((await refusal(makeNotaryRootCertificate(key, { ...validity, notAfter: validity.notBefore }))).code).toBe('DATE_INVALID');
    expect((await refusal(makeNotaryRootCertificate(key, { ...validity, gun: '' }))).code).toBe('USAGE');
    // Review B2 L1: outside what UTCTime/GeneralizedTime can carry here (1950 … 9999), refused before signing.
    for (const [notBefore, notAfter] of [[new Date('1949-12-31T00:00:00Z'), validity.notAfter], [validity.notBefore, new Date(Date.UTC(10000, 0, 1))]] as const) {
      let signed = 0;
      const counting = Object.assign(Object.create(Object.getPrototypeOf(key) as object) as typeof key, key, { sign: async (...a: Parameters<typeof key.sign>) => (signed++, key.sign(...a)) });
      expect((await refusal(makeNotaryRootCertificate(counting, { ...validity, notBefore, notAfter }))).code).toBe('DATE_INVALID');
      expect(signed).toBe(0);
    }
    expect((await refusal(makeNotaryRootCertificate(key, { ...validity, serialNumber: Uint8Array.of(0x80, 1) }))).code).toBe('USAGE');
  });

  it('an expired certificate is caught by the root check (the validity is what the plan says)', async () => {
    const key = await (async () => {
      const k = SoftwareKey.generate('ecdsa-p256');
      const cert = await makeNotaryRootCertificate(k, { gun: GUN, notBefore: new Date(now.getTime() - 20 * DAY), notAfter: new Date(now.getTime() - DAY) });
      return { k, cert };
    })();
    const signer = metadataSigner(key.k, key.cert.listed);
    const signed: JsonObject = {
      _type: 'Root',
      version: 1,
      expires: '2040-01-01T00:00:00Z',
      consistent_snapshot: false,
      keys: { [key.cert.listed.keyId]: key.cert.listed.json },
      roles: Object.fromEntries(['root', 'targets', 'snapshot', 'timestamp'].map((r) => [r, { keyids: [key.cert.listed.keyId], threshold: 1 }])),
    };
    const bytes = serializeMetadata('notary', await signMetadata('notary', signed, [signer]));
    const md = parseMetadata(bytes, 'root', { maxBytes: 1 << 20, source: 'root.json' });
    expect((await refusal(() => checkNotaryRootCertificates(md, now, GUN))).code).toBe('CERTIFICATE_INVALID');
  });
});

describe('key listings', () => {
  it('TUF: the same JSON securesystemslib writes (and test/support/keys.ts), so the same key IDs', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(ec.publicKey.export({ type: 'spki', format: 'der' }));
    const listed = listPublicKey('tuf', spki);
    expect(listed.json).toEqual({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
    // Key ID by an independent canonical JSON implementation (tuf-js's).
    expect(listed.keyId).toBe(createHash('sha256').update(canonicalize(listed.json)).digest('hex'));
    const p384 = listPublicKey('tuf', SoftwareKey.generate('ecdsa-p384').spki);
    expect(p384.json.scheme).toBe('ecdsa-sha2-nistp384');
    const ed = SoftwareKey.generate('ed25519');
    expect(listPublicKey('tuf', ed.spki).json).toEqual({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: Buffer.from(ed.spki.subarray(-32)).toString('hex') } });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(listPublicKey('tuf', new Uint8Array(rsa.publicKey.export({ type: 'spki', format: 'der' }))).json).toMatchObject({ keytype: 'rsa', scheme: 'rsassa-pss-sha256' });
  });

  it('Notary: ecdsa base64 DER, ed25519 base64 raw, private null; the bare ID of an x509 key is that of its ecdsa listing', async () => {
    const key = SoftwareKey.generate('ecdsa-p256');
    const bare = listPublicKey('notary', key.spki);
    expect(bare.json).toEqual({ keytype: 'ecdsa', keyval: { private: null, public: Buffer.from(key.spki).toString('base64') } });
    expect(notaryBareKeyId(key.spki)).toBe(bare.keyId);
    const cert = await makeNotaryRootCertificate(key, validity);
    expect(cert.listed.keyId).not.toBe(bare.keyId);
    expect(cert.listed.key.fingerprint).toBe(bare.key.fingerprint);
    const ed = SoftwareKey.generate('ed25519');
    expect(listPublicKey('notary', ed.spki).json).toEqual({ keytype: 'ed25519', keyval: { private: null, public: Buffer.from(ed.spki.subarray(-32)).toString('base64') } });
  });

  it('a certificate for another key, or a key listed for another signer, is refused', async () => {
    const a = SoftwareKey.generate('ecdsa-p256');
    const b = SoftwareKey.generate('ecdsa-p256');
    const certA = await makeNotaryRootCertificate(a, validity);
    expect((await refusal(() => listPublicKey('notary', b.spki, { certificatePem: certA.pem }))).code).toBe('KEY_INVALID');
    expect((await refusal(() => metadataSigner(b, certA.listed))).code).toBe('KEY_ID_MISMATCH');
    expect((await refusal(() => listPublicKey('tuf', a.spki, { certificatePem: certA.pem }))).code).toBe('KEY_TYPE_UNSUPPORTED');
  });
});

describe('MetadataSigner over a SigningKey', () => {
  it('signs with the digest each profile verifies: TUF P-384 over SHA-384, Notary P-384 over SHA-256', async () => {
    expect(signatureHashFor('tuf', 'ecdsa-p384')).toBe('sha384');
    expect(signatureHashFor('notary', 'ecdsa-p384')).toBe('sha256');
    expect(signatureHashFor('tuf', 'ecdsa-p256')).toBe('sha256');
    for (const profile of ['tuf', 'notary'] as const) {
      for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'ed25519'] as const) {
        const key = SoftwareKey.generate(algorithm);
        const listed = listPublicKey(profile, key.spki);
        const signed: JsonObject = { _type: 'x', n: 1 };
        const env = await signMetadata(profile, signed, [metadataSigner(key, listed)]);
        const p = getProfile(profile);
        const raw = p.decodeSignature(env.signatures[0]!, listed.key, '$');
        expect(p.verify(listed.key, raw, p.canonical(signed))).toBe(true);
      }
    }
  });

  it('asks for the PIN at each signature for keys that need it', async () => {
    const fake = new FakePkcs11([{ label: 'yk', serial: '0009', pin: '123456' }]);
    const mod = await TokenModule.load('/fake.so', { api: fake });
    const session = await mod.openToken({ serial: '0009' });
    await session.login('123456');
    const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: '9c', alwaysAuthenticate: true });
    const listed = listPublicKey('notary', key.spki);
    let asked = 0;
    const signer = metadataSigner(key, listed, { pin: async () => (asked++, new TextEncoder().encode('123456')) });
    await signMetadata('notary', { a: 1 }, [signer]);
    await signMetadata('notary', { a: 2 }, [signer]);
    expect(asked).toBe(2);
    await expect(signMetadata('notary', { a: 3 }, [metadataSigner(key, listed)])).rejects.toMatchObject({ code: 'TOKEN_LOGIN_REQUIRED' });
  });
});
