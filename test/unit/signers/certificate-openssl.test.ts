/**
 * OpenSSL's read-back of a Notary root certificate (src/signers/certificate-openssl.ts), the independent
 * reader makeNotaryRootCertificate checks its DER writer with: a certificate that does not say what was
 * meant — another CN, another key, another validity, a signature that does not verify, a CA flag, bytes
 * after it — is refused, whether the lean reader would have seen it or not; and the two helpers that
 * predict what OpenSSL prints agree with what it prints.
 */
import { createHash, ECDH, generateKeyPairSync, sign as nodeSign, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { checkExtensionsReadBack, makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { opensslPrintsVerbatim, opensslReadsAsIntended, opensslTime, type IntendedCertificate } from '../../../src/signers/certificate-openssl.js';
import type { SignHash, SigningKey } from '../../../src/signers/signing-key.js';

const GUN = 'registry.example.com/org/app';
const notBefore = new Date('2026-12-06T20:27:26Z');
const notAfter = new Date('2036-01-02T03:04:05Z');

/** A P-256 key whose `sign` signs with `signWith` (its own private key unless told): no software check, so a test can make it lie. */
function keyPair(): { key: SigningKey; publicKey: KeyObject; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const key: SigningKey = {
    algorithm: 'ecdsa-p256',
    spki,
    fingerprint: createHash('sha256').update(spki).digest('hex'),
    label: 'test',
    origin: { kind: 'software', rehearsal: true },
    sign: (data: Uint8Array, hash: SignHash) => Promise.resolve(new Uint8Array(nodeSign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }))),
  };
  return { key, publicKey, privateKey };
}

const sha256 = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

/** `der` with its TBSCertificate changed by `edit` and signed again by `privateKey` (a well-formed certificate that says something else). */
function reissued(der: Uint8Array, privateKey: KeyObject, edit: (tbs: x509.TBSCertificate) => void): Uint8Array {
  const cert = AsnConvert.parse(der, x509.Certificate);
  edit(cert.tbsCertificate);
  const tbs = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate));
  cert.signatureValue = nodeSign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' }).buffer.slice(0) as ArrayBuffer;
  return new Uint8Array(AsnConvert.serialize(cert));
}

const cnName = (cn: string): x509.Name => new x509.Name([new x509.RelativeDistinguishedName([new x509.AttributeTypeAndValue({ type: '2.5.4.3', value: new x509.DirectoryString({ utf8String: cn }) })])]);

const ext = (extnID: string, value: unknown, critical = true): x509.Extension => new x509.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

describe('OpenSSL reads a certificate as the one intended', () => {
  it('accepts the certificate makeNotaryRootCertificate builds, and refuses each way it could say something else', async () => {
    const { key, publicKey, privateKey } = keyPair();
    const der = (await makeNotaryRootCertificate(key, { gun: GUN, notBefore, notAfter })).der;
    const intended: IntendedCertificate = { commonName: GUN, notBefore, notAfter, publicKey, spki: key.spki, fingerprint: sha256(der) };
    expect(opensslReadsAsIntended(der, intended)).toBe(true);

    // Meant something else than the certificate says.
    expect(opensslReadsAsIntended(der, { ...intended, commonName: `${GUN}x` })).toBe(false);
    expect(opensslReadsAsIntended(der, { ...intended, notBefore: new Date(notBefore.getTime() + 1000) })).toBe(false);
    expect(opensslReadsAsIntended(der, { ...intended, notAfter: new Date(notAfter.getTime() - 1000) })).toBe(false);
    expect(opensslReadsAsIntended(der, { ...intended, publicKey: keyPair().publicKey })).toBe(false);
    // The intended key's bytes come from the caller: other bytes than the certificate's key are not what was meant.
    expect(opensslReadsAsIntended(der, { ...intended, spki: Uint8Array.of(...key.spki.subarray(0, key.spki.length - 1), key.spki[key.spki.length - 1]! ^ 1) })).toBe(false);
    expect(opensslReadsAsIntended(der, { ...intended, spki: key.spki.subarray(0, key.spki.length - 1) })).toBe(false);
    expect(opensslReadsAsIntended(der, { ...intended, fingerprint: sha256(Uint8Array.of(...der, 0)) })).toBe(false);

    // Certificates that are well formed and signed, but say another CN, issuer, validity, key or CA flag.
    const wrong: [string, Uint8Array][] = [
      ['subject CN', reissued(der, privateKey, (t) => (t.subject = cnName('other.example.com/app')))],
      ['issuer CN', reissued(der, privateKey, (t) => (t.issuer = cnName('Some CA')))],
      ['notBefore', reissued(der, privateKey, (t) => (t.validity.notBefore = new x509.Time(new Date(notBefore.getTime() - 1000))))],
      ['notAfter', reissued(der, privateKey, (t) => (t.validity.notAfter = new x509.Time(new Date(notAfter.getTime() + 1000))))],
      // OpenSSL's CA reading (X509_check_ca) needs keyUsage to allow certificate signing as well; the CA
      // flag alone is checked in the extensions' own read-back (checkExtensionsReadBack, below).
      [
        'CA flag and keyCertSign',
        reissued(der, privateKey, (t) => {
          t.extensions![0] = ext(x509.id_ce_basicConstraints, new x509.BasicConstraints({ cA: true }));
          t.extensions![1] = ext(x509.id_ce_keyUsage, new x509.KeyUsage(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign));
        }),
      ],
      ['key (signed by ours)', reissued(der, privateKey, (t) => (t.subjectPublicKeyInfo = AsnConvert.parse(keyPair().key.spki, x509.SubjectPublicKeyInfo)))],
      // Our key, but written as a compressed point: the same key value, other SubjectPublicKeyInfo bytes (review-7 F3.2).
      [
        'our key as a compressed point',
        reissued(der, privateKey, (t) => {
          const point = ECDH.convertKey(Buffer.from(key.spki.subarray(key.spki.length - 65)), 'prime256v1', undefined, undefined, 'compressed') as Buffer;
          t.subjectPublicKeyInfo.subjectPublicKey = point.buffer.slice(point.byteOffset, point.byteOffset + point.length) as ArrayBuffer;
        }),
      ],
    ];
    for (const [what, bad] of wrong) {
      expect(new X509Certificate(bad).verify(publicKey), what).toBe(true); // only what it says is wrong
      expect(opensslReadsAsIntended(bad, { ...intended, fingerprint: sha256(bad) }), what).toBe(false);
    }

    // A signature that does not verify with our key: another key's, or ours with one bit flipped.
    const other = keyPair();
    const signedByOther = reissued(der, other.privateKey, () => undefined);
    expect(opensslReadsAsIntended(signedByOther, { ...intended, fingerprint: sha256(signedByOther) })).toBe(false);
    const flipped = Uint8Array.from(der);
    flipped[flipped.length - 1]! ^= 1;
    expect(opensslReadsAsIntended(flipped, { ...intended, fingerprint: sha256(flipped) })).toBe(false);

    // Not one whole certificate.
    const trailing = Uint8Array.of(...der, 0, 0);
    expect(opensslReadsAsIntended(trailing, { ...intended, fingerprint: sha256(trailing) })).toBe(false);
    const cut = der.subarray(0, der.length - 3);
    expect(opensslReadsAsIntended(cut, { ...intended, fingerprint: sha256(cut) })).toBe(false);
  });

  it('makeNotaryRootCertificate refuses (INTERNAL) a certificate whose signature does not verify, which neither DER reader checks', async () => {
    // A key that lies: it returns another key's signature without checking it (a SigningKey must not, so
    // only the read-back can catch it; the lean reader and the schema decoder read no signature).
    const { key } = keyPair();
    const other = keyPair();
    const liar: SigningKey = { ...key, sign: (data, hash) => other.key.sign(data, hash) };
    const err = await makeNotaryRootCertificate(liar, { gun: GUN, notBefore, notAfter }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CeremonyError);
    expect((err as CeremonyError).code).toBe('INTERNAL');
    expect((err as CeremonyError).message).toMatch(/OpenSSL/);
  });

  it('opensslTime is X509Certificate.validFrom / validTo, UTCTime and GeneralizedTime, one- and two-digit days', async () => {
    const { key } = keyPair();
    const pairs: [string, string][] = [
      ['1950-01-01T00:00:00Z', '2049-12-31T23:59:59Z'],
      ['2026-02-09T09:05:01Z', '2050-01-01T00:00:00Z'],
      ['2001-10-31T12:00:00Z', '9999-12-31T23:59:59Z'],
    ];
    for (const [from, to] of pairs) {
      const der = (await makeNotaryRootCertificate(key, { gun: GUN, notBefore: new Date(from), notAfter: new Date(to) })).der;
      const x = new X509Certificate(der);
      expect(opensslTime(new Date(from))).toBe(x.validFrom);
      expect(opensslTime(new Date(to))).toBe(x.validTo);
    }
  });

  it('opensslPrintsVerbatim: when it says so, OpenSSL prints CN=<name> exactly; the RFC 2253 specials are left to the schema decoder', async () => {
    const { key } = keyPair();
    const names = ['a/b', 'a#b', 'a=b', "a'b", 'a b', '=a', 'örg/app', '😀/x', 'a\u00a0b', 'a\u0080b', 'a\ufeffb', 'a,b', 'a+b', 'a"b', 'a\\b', 'a<b', 'a>b', 'a;b', '#ab', ' ab', 'ab '];
    for (const gun of names) {
      const x = new X509Certificate((await makeNotaryRootCertificate(key, { gun, notBefore, notAfter })).der);
      if (opensslPrintsVerbatim(gun)) expect(x.subject, gun).toBe(`CN=${gun}`);
      else expect(x.subject, gun).not.toBe(`CN=${gun}`);
    }
  });
});

describe('the extensions every certificate of a key carries, read back once per key', () => {
  const ski = new Uint8Array(20).fill(7);
  const block = (...exts: x509.Extension[]): Uint8Array => new Uint8Array(AsnConvert.serialize(new x509.Extensions(exts)));
  const bc = (cA: boolean, pathLenConstraint?: number): x509.Extension => ext(x509.id_ce_basicConstraints, new x509.BasicConstraints({ cA, ...(pathLenConstraint === undefined ? {} : { pathLenConstraint }) }));
  const ku = (flags: number): x509.Extension => ext(x509.id_ce_keyUsage, new x509.KeyUsage(flags));
  const id = (bytes: Uint8Array): x509.Extension => ext(x509.id_ce_subjectKeyIdentifier, new x509.SubjectKeyIdentifier(bytes.slice().buffer), false);
  const code = (der: Uint8Array): string | undefined => {
    try {
      checkExtensionsReadBack(der, ski);
      return undefined;
    } catch (err) {
      return (err as CeremonyError).code;
    }
  };

  it('accepts CA:FALSE, digitalSignature, the key identifier; refuses (INTERNAL) a CA, a path length, another usage, another identifier, one more or one fewer', () => {
    expect(code(block(bc(false), ku(x509.KeyUsageFlags.digitalSignature), id(ski)))).toBeUndefined();
    expect(code(block(bc(true), ku(x509.KeyUsageFlags.digitalSignature), id(ski)))).toBe('INTERNAL');
    expect(code(block(bc(false, 0), ku(x509.KeyUsageFlags.digitalSignature), id(ski)))).toBe('INTERNAL');
    expect(code(block(bc(false), ku(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign), id(ski)))).toBe('INTERNAL');
    expect(code(block(bc(false), ku(x509.KeyUsageFlags.digitalSignature), id(new Uint8Array(20).fill(8))))).toBe('INTERNAL');
    expect(code(block(bc(false), ku(x509.KeyUsageFlags.digitalSignature)))).toBe('INTERNAL');
    expect(code(block(bc(false), ku(x509.KeyUsageFlags.digitalSignature), id(ski), id(ski)))).toBe('INTERNAL');
    expect(code(block(ku(x509.KeyUsageFlags.digitalSignature), bc(false), id(ski)))).toBe('INTERNAL');
  });
});
