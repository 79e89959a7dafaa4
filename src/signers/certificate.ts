/**
 * The self-signed X.509 certificate Notary requires for an `ecdsa-x509` root key (notary
 * `trustpinning/certs.go`, FIELD-NOTES): a leaf (basicConstraints CA:FALSE), CN = the GUN, validity from
 * the plan, signed with ECDSA over SHA-256 (P-256) or SHA-384 (P-384), never SHA-1; written as Go writes
 * PEM. No extended key usage (an EKU of codeSigning breaks notary's `trust_pinning.ca`).
 *
 * The TBSCertificate is built with @peculiar/asn1-x509 and signed by the key itself — on the token for a
 * token key (the private key never leaves it), in memory for a software key — then parsed back and its
 * signature checked with node:crypto's X509Certificate before it is returned.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { CeremonyError } from '../errors.js';
import { rawToDer } from '../crypto/ecdsa-der.js';
import { decodeSpki, pemOf } from '../crypto/public-key.js';
import { parseCertificateDer } from '../profiles/x509.js';
import { listPublicKey, type ListedKey } from './public-key-json.js';
import type { SigningKey } from './signing-key.js';

const OID_CN = '2.5.4.3';
const ECDSA_WITH = { 'ecdsa-p256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256' }, 'ecdsa-p384': { oid: '1.2.840.10045.4.3.3', hash: 'sha384' } } as const;

export interface NotaryCertificateOptions {
  /** The repository name (Notary GUN), e.g. `registry.example.com/org/app`: the certificate's CN. */
  gun: string;
  notBefore: Date;
  notAfter: Date;
  /** Positive serial number bytes; 16 random bytes by default. */
  serialNumber?: Uint8Array;
}

export interface NotaryRootCertificate {
  der: Uint8Array;
  /** Go PEM: 64-column lines, LF, trailing LF. */
  pem: string;
  /** The `ecdsa-x509` key object for root.json, its key ID and decoded key. */
  listed: ListedKey;
}

/** A fresh ArrayBuffer holding exactly `bytes` (a Buffer's `.buffer` may be a shared pool). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

function serial(bytes: Uint8Array | undefined): Uint8Array {
  const out = bytes ? Uint8Array.from(bytes) : new Uint8Array(randomBytes(16));
  if (out.length === 0 || out.length > 20) throw new CeremonyError('USAGE', 'a certificate serial number is 1 to 20 bytes');
  // DER INTEGER, positive and minimal: first byte 0x01–0x7f (RFC 5280 §4.1.2.2).
  if (!bytes) out[0] = (out[0]! & 0x3f) | 0x40;
  if (out[0]! & 0x80 || (out[0] === 0 && out.length > 1)) throw new CeremonyError('USAGE', 'a certificate serial number must be a positive, minimally encoded integer');
  return out;
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/**
 * Make and sign the certificate. Throws KEY_TYPE_UNSUPPORTED for keys that are not ECDSA, USAGE for an
 * empty GUN, DATE_INVALID for a validity that ends before it starts, TOKEN_SIGNATURE_INVALID if the
 * signed certificate does not verify.
 */
export async function makeNotaryRootCertificate(key: SigningKey, opts: NotaryCertificateOptions): Promise<NotaryRootCertificate> {
  if (key.algorithm !== 'ecdsa-p256' && key.algorithm !== 'ecdsa-p384') {
    throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `Notary root keys are ECDSA (ecdsa-x509); "${key.label}" is ${key.algorithm}`);
  }
  const gun = opts.gun;
  if (!gun || gun.length > 255 || /[\u0000-\u001f\u007f]/.test(gun)) throw new CeremonyError('USAGE', 'the repository name (GUN) is 1 to 255 printable characters');
  const notBefore = new Date(Math.floor(opts.notBefore.getTime() / 1000) * 1000);
  const notAfter = new Date(Math.floor(opts.notAfter.getTime() / 1000) * 1000);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime()) || notAfter.getTime() <= notBefore.getTime()) {
    throw new CeremonyError('DATE_INVALID', 'the certificate validity must end after it starts');
  }
  const sig = ECDSA_WITH[key.algorithm];
  // RFC 5758 §3.2: ecdsa-with-SHA* AlgorithmIdentifiers have no parameters.
  const algorithm = new AlgorithmIdentifier({ algorithm: sig.oid });
  const name = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: OID_CN, value: new AttributeValue({ utf8String: gun }) })])]);
  const spki = AsnConvert.parse(toArrayBuffer(key.spki), SubjectPublicKeyInfo);
  // RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey bits.
  const ski = createHash('sha256').update(new Uint8Array(spki.subjectPublicKey)).digest().subarray(0, 20);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial(opts.serialNumber)),
    signature: algorithm,
    issuer: name,
    validity: new Validity({ notBefore, notAfter }),
    subject: name,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(toArrayBuffer(ski))),
    ]),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const raw = await key.sign(tbsDer, sig.hash);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: toArrayBuffer(rawToDer(raw)) });
  const der = new Uint8Array(AsnConvert.serialize(cert));

  // Parse back what we wrote: the facts Notary checks, and the signature with OpenSSL.
  const parsed = parseCertificateDer(der, 'certificate');
  if (parsed.info.isCA || parsed.info.subjectCN !== gun || !Buffer.from(parsed.spki).equals(Buffer.from(key.spki))) {
    throw new CeremonyError('INTERNAL', 'the certificate built does not read back as the leaf certificate intended');
  }
  const x509 = new X509Certificate(der);
  if (!x509.verify(decodeSpki(key.spki, 'certificate').keyObject)) {
    throw new CeremonyError('TOKEN_SIGNATURE_INVALID', `the certificate signed by "${key.label}" does not verify with its public key`);
  }
  const pem = pemOf('CERTIFICATE', der);
  return { der, pem, listed: listPublicKey('notary', key.spki, { certificatePem: pem }) };
}
