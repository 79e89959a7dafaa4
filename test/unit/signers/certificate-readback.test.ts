/**
 * makeNotaryRootCertificate reads back every certificate it issues with an independent reader as well as
 * with the lean reader verification uses (x509-der.ts), and stops if the two read different facts
 * (review-x509 finding 3: our DER writer must not be checked by our own reader alone): OpenSSL's
 * (certificate-openssl.ts) for a CN it prints verbatim, the schema decoder (@peculiar/asn1-x509, x509.ts
 * decodeCertificateSchema) for the others. Both are wrapped so that a test can make them read one field
 * differently, as a writer fault only the independent parser sees would.
 */
import { describe, expect, it, vi } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { ParsedCertificate } from '../../../src/profiles/x509.js';
import type { IntendedCertificate } from '../../../src/signers/certificate-openssl.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { decodeSpki } from '../../../src/crypto/public-key.js';

const schema = vi.hoisted(() => ({ calls: 0, twist: undefined as ((p: ParsedCertificate) => ParsedCertificate) | undefined }));
const openssl = vi.hoisted(() => ({ calls: 0, twist: undefined as ((i: IntendedCertificate) => IntendedCertificate) | undefined }));

vi.mock('../../../src/signers/certificate-openssl.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/signers/certificate-openssl.js')>();
  return {
    ...real,
    // The certificate read against a twisted intent: what OpenSSL says when it reads one field differently.
    opensslReadsAsIntended: (der: Uint8Array, intended: IntendedCertificate): boolean => {
      openssl.calls++;
      return real.opensslReadsAsIntended(der, openssl.twist ? openssl.twist(intended) : intended);
    },
  };
});

vi.mock('../../../src/profiles/x509.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/profiles/x509.js')>();
  return {
    ...real,
    decodeCertificateSchema: (der: Uint8Array, fingerprint: string, path: string): ParsedCertificate => {
      schema.calls++;
      const parsed = real.decodeCertificateSchema(der, fingerprint, path);
      return schema.twist ? schema.twist(parsed) : parsed;
    },
  };
});

const DAY = 24 * 3600 * 1000;

describe('the read-back of an issued Notary root certificate', () => {
  const make = (gun: string) => {
    const key = SoftwareKey.generate('ecdsa-p256');
    return makeNotaryRootCertificate(key, { gun, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3650 * DAY) }).finally(() => key.dispose());
  };

  it('goes through OpenSSL for a CN it prints verbatim (ASCII or not), through the schema decoder for one it escapes', async () => {
    schema.calls = 0;
    openssl.calls = 0;
    await make('example.com/org/app');
    await make('example.com/örg/app');
    expect([openssl.calls, schema.calls]).toEqual([2, 0]);
    await make('example.com/org,app');
    await make('#example.com/org/app');
    expect([openssl.calls, schema.calls]).toEqual([2, 2]);
  });

  it.each([
    ['CN', (i: IntendedCertificate): IntendedCertificate => ({ ...i, commonName: `${i.commonName}x` })],
    ['not before', (i: IntendedCertificate): IntendedCertificate => ({ ...i, notBefore: new Date(i.notBefore.getTime() - 1000) })],
    ['not after', (i: IntendedCertificate): IntendedCertificate => ({ ...i, notAfter: new Date(i.notAfter.getTime() + 1000) })],
    ['key', (i: IntendedCertificate): IntendedCertificate => ({ ...i, publicKey: decodeSpki(SoftwareKey.generate('ecdsa-p256').spki, '$').keyObject })],
    ['whole DER', (i: IntendedCertificate): IntendedCertificate => ({ ...i, fingerprint: `${i.fingerprint.slice(0, -1)}${i.fingerprint.endsWith('0') ? '1' : '0'}` })],
  ])('stops (INTERNAL) when OpenSSL reads the %s differently from what was meant', async (_field, twist) => {
    openssl.twist = twist;
    try {
      const err = await make('example.com/org/app').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CeremonyError);
      expect((err as CeremonyError).code).toBe('INTERNAL');
      expect((err as CeremonyError).message).toMatch(/through OpenSSL/);
    } finally {
      openssl.twist = undefined;
    }
  });

  it.each([
    ['CN', (p: ParsedCertificate): ParsedCertificate => ({ ...p, info: { ...p.info, subjectCN: `${p.info.subjectCN}x` } })],
    ['CA flag', (p: ParsedCertificate): ParsedCertificate => ({ ...p, info: { ...p.info, isCA: true } })],
    ['not after', (p: ParsedCertificate): ParsedCertificate => ({ ...p, info: { ...p.info, notAfter: new Date(p.info.notAfter.getTime() + 1000) } })],
    ['key bytes', (p: ParsedCertificate): ParsedCertificate => ({ ...p, spki: Uint8Array.from([...p.spki.subarray(0, -1), p.spki.at(-1)! ^ 1]) })],
  ])('stops (INTERNAL) when the schema decoder reads the %s differently from the lean reader', async (_field, twist) => {
    schema.twist = twist;
    try {
      const err = await make('example.com/org,app').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CeremonyError);
      expect((err as CeremonyError).code).toBe('INTERNAL');
      expect((err as CeremonyError).message).toMatch(/lean reader and the schema decoder/);
    } finally {
      schema.twist = undefined;
    }
  });
});
