/**
 * makeNotaryRootCertificate reads back every certificate it issues with the independent schema decoder
 * (@peculiar/asn1-x509, x509.ts decodeCertificateSchema) as well as with the lean reader verification
 * uses (x509-der.ts), and stops if the two read different facts (review-x509 finding 3: our DER writer
 * must not be checked by our own reader alone). The schema decoder is wrapped so that a test can make it
 * read one field differently, as a writer fault only the independent parser sees would.
 */
import { describe, expect, it, vi } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { ParsedCertificate } from '../../../src/profiles/x509.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { SoftwareKey } from '../../../src/signers/software.js';

const schema = vi.hoisted(() => ({ calls: 0, twist: undefined as ((p: ParsedCertificate) => ParsedCertificate) | undefined }));

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

  it('goes through the schema decoder for each certificate, ASCII and non-ASCII repository names alike', async () => {
    schema.calls = 0;
    schema.twist = undefined;
    await make('example.com/org/app');
    expect(schema.calls).toBe(1);
    await make('example.com/örg/app');
    expect(schema.calls).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['CN', (p: ParsedCertificate): ParsedCertificate => ({ ...p, info: { ...p.info, subjectCN: `${p.info.subjectCN}x` } })],
    ['CA flag', (p: ParsedCertificate): ParsedCertificate => ({ ...p, info: { ...p.info, isCA: true } })],
    ['not after', (p: ParsedCertificate): ParsedCertificate => ({ ...p, info: { ...p.info, notAfter: new Date(p.info.notAfter.getTime() + 1000) } })],
    ['key bytes', (p: ParsedCertificate): ParsedCertificate => ({ ...p, spki: Uint8Array.from([...p.spki.subarray(0, -1), p.spki.at(-1)! ^ 1]) })],
  ])('stops (INTERNAL) when the schema decoder reads the %s differently from the lean reader', async (_field, twist) => {
    schema.twist = twist;
    try {
      const err = await make('example.com/org/app').then(
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
