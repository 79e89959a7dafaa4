/**
 * A TEST attestation PKI for the PIV emulator, made fresh by each test: a root, for the 5.7.4+ family two
 * intermediates, and the device's f9 key and certificate. Only tests trust it (`--attestation-roots`); it is
 * never mixed with the bundled Yubico roots. Certificates carry "TEST" in every name so nobody mistakes one.
 *
 * Shapes follow what Yubico's devices emit (developers.yubico.com/PIV/Introduction/PIV_attestation.html and
 * Yubico_Attestation_OID.adoc): the per-slot certificate is issued by the f9 certificate, names the slot in
 * its CN, and carries 1.3.6.1.4.1.41482.3.3 (firmware, three raw bytes), .3.7 (serial, a DER INTEGER), .3.8
 * (PIN and touch policy, two raw bytes) and .3.9 (form factor, one raw byte).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

export type AttestationFamily = 'legacy' | 'current';

export interface TestAttestationPki {
  family: AttestationFamily;
  /** The TEST root, PEM: what a test passes as `--attestation-roots`. */
  rootPem: string;
  /** For 'current': the two intermediates (PIV attestation, then attestation intermediate), PEM. */
  intermediatePems: string[];
  /** The device attestation key (slot f9), PKCS#8 DER: handed to the emulator process. */
  f9KeyPkcs8: Uint8Array;
  /** The device attestation certificate (object 5FFF01), DER. */
  f9CertDer: Uint8Array;
}

async function ca(subject: string, issuer: { name: string; key: CryptoKey } | undefined, pair: CryptoKeyPair, pathLength?: number): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    subject,
    issuer: issuer?.name ?? subject,
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2071-01-01T00:00:00Z'),
    signingAlgorithm: SIGN,
    publicKey: pair.publicKey,
    signingKey: issuer?.key ?? pair.privateKey,
    extensions: [new x509.BasicConstraintsExtension(true, pathLength, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
}

/** Makes a TEST PKI of the given family (firmware < 5.7.4 is 'legacy', later is 'current'). */
export async function makeTestAttestationPki(family: AttestationFamily): Promise<TestAttestationPki> {
  const gen = () => webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
  const rootPair = await gen();
  const rootName = family === 'legacy' ? 'CN=TEST Yubico PIV Root CA Serial 1' : 'CN=TEST Yubico Attestation Root 1';
  const root = await ca(rootName, undefined, rootPair);
  const intermediatePems: string[] = [];
  let issuer = { name: rootName, key: rootPair.privateKey };
  if (family === 'current') {
    const midPair = await gen();
    const midName = 'CN=TEST Yubico Attestation Intermediate A 1';
    const mid = await ca(midName, issuer, midPair, 1);
    const pivPair = await gen();
    const pivName = 'CN=TEST Yubico PIV Attestation A 1';
    const piv = await ca(pivName, { name: midName, key: midPair.privateKey }, pivPair, 0);
    intermediatePems.push(piv.toString('pem'), mid.toString('pem'));
    issuer = { name: pivName, key: pivPair.privateKey };
  }
  const f9Pair = await gen();
  // Real f9 certificates are issued per device with CN "Yubico PIV Attestation" and no pathlen.
  const f9 = await ca('CN=TEST Yubico PIV Attestation', issuer, f9Pair);
  return {
    family,
    rootPem: root.toString('pem'),
    intermediatePems,
    f9KeyPkcs8: new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', f9Pair.privateKey)),
    f9CertDer: new Uint8Array(f9.rawData),
  };
}

export interface AttestedFacts {
  slot: number;
  firmware: readonly [number, number, number];
  serial: number;
  pinPolicy: number;
  touchPolicy: number;
  formFactor: number;
}

function derInteger(value: number): Uint8Array {
  const bytes = [];
  let v = value;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Uint8Array.of(0x02, bytes.length, ...bytes);
}

/** The certificate the card returns for ATTEST (INS F9) on a slot, signed by the f9 key. */
export async function attestationCertificate(f9KeyPkcs8: Uint8Array, f9CertDer: Uint8Array, slotSpki: Uint8Array, facts: AttestedFacts): Promise<Uint8Array> {
  const f9Cert = new x509.X509Certificate(Uint8Array.from(f9CertDer));
  const f9Key = await webcrypto.subtle.importKey('pkcs8', Uint8Array.from(f9KeyPkcs8), EC, false, ['sign']);
  const namedCurve = slotSpki.length > 100 ? 'P-384' : 'P-256';
  const publicKey = await webcrypto.subtle.importKey('spki', Uint8Array.from(slotSpki), { name: 'ECDSA', namedCurve }, true, ['verify']);
  const arc = '1.3.6.1.4.1.41482.3';
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    subject: `CN=YubiKey PIV Attestation ${facts.slot.toString(16)}`,
    issuer: f9Cert.subject,
    notBefore: f9Cert.notBefore,
    notAfter: f9Cert.notAfter,
    signingAlgorithm: SIGN,
    publicKey,
    signingKey: f9Key,
    extensions: [
      new x509.Extension(`${arc}.3`, false, Uint8Array.from(facts.firmware)),
      new x509.Extension(`${arc}.7`, false, Uint8Array.from(derInteger(facts.serial))),
      new x509.Extension(`${arc}.8`, false, Uint8Array.of(facts.pinPolicy, facts.touchPolicy)),
      new x509.Extension(`${arc}.9`, false, Uint8Array.of(facts.formFactor)),
    ],
  });
  return new Uint8Array(cert.rawData);
}
