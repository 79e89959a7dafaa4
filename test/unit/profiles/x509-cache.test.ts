/**
 * The decoded-certificate table in profiles/x509.ts (issue #17): a certificate decoded twice gives equal,
 * independent results — a caller that edits what it got cannot change what the next caller reads — and
 * a refused certificate is refused again (failures are never remembered as successes).
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { parseCertificateDer, parseCertificatePem } from '../../../src/profiles/x509.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { SoftwareKey } from '../../../src/signers/software.js';

const DAY = 24 * 3600 * 1000;

describe('decoded certificates kept in the process', () => {
  it('a second decode equals the first and shares no object with it', async () => {
    const key = SoftwareKey.generate('ecdsa-p256');
    const now = Date.now();
    const cert = await makeNotaryRootCertificate(key, { gun: 'example.com/cache', notBefore: new Date(now - 60_000), notAfter: new Date(now + 365 * DAY) });
    key.dispose();
    const first = parseCertificateDer(cert.der, '$');
    const second = parseCertificateDer(cert.der, '$');
    expect(second).toEqual(first);
    expect(second.spki).not.toBe(first.spki);
    expect(second.info).not.toBe(first.info);
    expect(second.info.notAfter).not.toBe(first.info.notAfter);
    // Edit everything the first caller got; the next decode is unchanged.
    const notAfter = first.info.notAfter.getTime();
    first.spki.fill(0);
    first.der.fill(0);
    first.info.subjectCN = 'mallory';
    first.info.isCA = true;
    first.info.notAfter.setTime(0);
    const third = parseCertificatePem(cert.pem, '$');
    expect(third.info.subjectCN).toBe('example.com/cache');
    expect(third.info.isCA).toBe(false);
    expect(third.info.notAfter.getTime()).toBe(notAfter);
    expect(Buffer.from(third.spki).equals(Buffer.from(second.spki))).toBe(true);
    expect(Buffer.from(third.der).equals(Buffer.from(cert.der))).toBe(true);
  });

  it('a refused certificate stays refused, with its code, however often it is tried', async () => {
    const key = SoftwareKey.generate('ecdsa-p256');
    const now = Date.now();
    const cert = await makeNotaryRootCertificate(key, { gun: 'example.com/cache', notBefore: new Date(now - 60_000), notAfter: new Date(now + 365 * DAY) });
    key.dispose();
    const notDer = Uint8Array.from(cert.der);
    notDer[0] = 0x31; // SET, not SEQUENCE
    for (let i = 0; i < 3; i++) {
      let err: unknown;
      try {
        parseCertificateDer(notDer, '$.keys.x');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CeremonyError);
      expect((err as CeremonyError).code).toBe('KEY_INVALID');
    }
    expect(parseCertificateDer(cert.der, '$').info.subjectCN).toBe('example.com/cache');
  });
});
