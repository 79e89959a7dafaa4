/**
 * The self-signed X.509 certificate Notary requires for an `ecdsa-x509` root key (notary
 * `trustpinning/certs.go`, FIELD-NOTES): a leaf (basicConstraints CA:FALSE), CN = the GUN, validity from
 * the plan, signed with ECDSA over SHA-256 (P-256) or SHA-384 (P-384), never SHA-1; written as Go writes
 * PEM. No extended key usage (an EKU of codeSigning breaks notary's `trust_pinning.ca`).
 *
 * The TBSCertificate is built (the key's fixed parts with @peculiar/asn1-x509, the rest in DER below) and
 * signed by the key itself — on the token for a token key (the private key never leaves it), in memory for
 * a software key; the key checks its signature over those bytes in software as it returns it
 * (signing-key.ts) — then the certificate is parsed back with our certificate parser and with an independent
 * one (OpenSSL's, certificate-openssl.ts, or the schema decoder) before it is returned.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  BasicConstraints,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import { CeremonyError } from '../errors.js';
import { rawToDer } from '../crypto/ecdsa-der.js';
import { decodeSpki, pemOf } from '../crypto/public-key.js';
import { decodeCertificateSchema, parseCertificateDer, type ParsedCertificate } from '../profiles/x509.js';
import { opensslPrintsVerbatim, opensslReadsAsIntended, type OpensslReadBack } from './certificate-openssl.js';
import { listPublicKey, type ListedKey } from './public-key-json.js';
import type { SigningKey } from './signing-key.js';

const ECDSA_WITH = { 'ecdsa-p256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256' }, 'ecdsa-p384': { oid: '1.2.840.10045.4.3.3', hash: 'sha384' } } as const;

export interface NotaryCertificateOptions {
  /** The repository name (Notary GUN), e.g. `registry.example.com/org/app`: the certificate's CN. */
  gun: string;
  notBefore: Date;
  notAfter: Date;
  /** Positive serial number bytes; 16 random bytes by default. */
  serialNumber?: Uint8Array;
  /**
   * Where OpenSSL's read-back runs (certificate-openssl.ts): by default on this thread; a multi-repository
   * ceremony passes a worker thread's (io/certificate-readback-pool.ts). Awaited before anything else.
   */
  readBack?: OpensslReadBack;
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

// DER, by hand, for the parts of the TBSCertificate that change with every certificate (serial, names,
// validity): the generic ASN.1 serialiser costs ~1.5 ms of CPU per certificate, most of a ceremony's own
// work for a thousand Notary repositories (issue #17). The parts fixed by the key (its SPKI, the
// extensions) are encoded once per key with @peculiar/asn1-x509; test/unit/signers/certificate.test.ts
// checks the whole TBSCertificate byte for byte against the one @peculiar/asn1-x509 writes.

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const head = [tag, ...derLength(size)];
  const out = new Uint8Array(head.length + size);
  out.set(head);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const utf8 = new TextEncoder();
const ascii = (s: string): Uint8Array => utf8.encode(s);
/** [0] EXPLICIT Version v3 (INTEGER 2). */
const VERSION_V3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);
/** OBJECT IDENTIFIER 2.5.4.3 (commonName). */
const OID_CN_DER = Uint8Array.of(0x06, 0x03, 0x55, 0x04, 0x03);

/** Name ::= SEQUENCE { SET { SEQUENCE { commonName, UTF8String gun } } }. */
function commonNameDer(cn: string): Uint8Array {
  return tlv(0x30, tlv(0x31, tlv(0x30, OID_CN_DER, tlv(0x0c, utf8.encode(cn)))));
}

/** The times a certificate can carry as this encoder writes them: 1950-01-01 to 9999-12-31 (RFC 5280 §4.1.2.5). */
export const CERTIFICATE_TIME_MIN = new Date(Date.UTC(1950, 0, 1));
export const CERTIFICATE_TIME_MAX = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

/**
 * DATE_INVALID for a validity time outside 1950 … 9999 (review B2 L1): UTCTime's two-digit year means
 * 1950-2049 only (a 1949 date would read as 2049) and GeneralizedTime's four digits end at 9999. Checked
 * where a request or plan is parsed, before any token is asked to sign.
 */
export function checkCertificateTime(date: Date, path?: string): void {
  const t = date.getTime();
  if (Number.isNaN(t) || t < CERTIFICATE_TIME_MIN.getTime() || t > CERTIFICATE_TIME_MAX.getTime()) {
    const shown = Number.isNaN(t) ? 'not a date' : date.toISOString();
    throw new CeremonyError('DATE_INVALID', `a certificate validity time must be from 1950-01-01 to 9999-12-31 (RFC 5280 §4.1.2.5), not ${shown}`, path ? { path } : {});
  }
}

/** RFC 5280 §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) 1950 through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050 (checkCertificateTime bounds it). */
function timeDer(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ, whole seconds here
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() > 2049 ? tlv(0x18, ascii(digits)) : tlv(0x17, ascii(digits.slice(2)));
}

/** What each key's certificates share: its SPKI and the extensions (the subject key identifier is the key's). */
interface KeyParts {
  spki: Uint8Array;
  extensions: Uint8Array;
}

const keyParts = new Map<string, KeyParts>();
const KEY_PARTS_MAX = 256;

function partsOf(spkiBytes: Uint8Array, fingerprint: string): KeyParts {
  const hit = keyParts.get(fingerprint);
  if (hit && Buffer.from(hit.spki).equals(Buffer.from(spkiBytes))) return hit;
  const spki = AsnConvert.parse(toArrayBuffer(spkiBytes), SubjectPublicKeyInfo);
  // RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey bits.
  const ski = createHash('sha256').update(new Uint8Array(spki.subjectPublicKey)).digest().subarray(0, 20);
  const extensions = new Extensions([
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(toArrayBuffer(ski))),
  ]);
  const extensionsDer = new Uint8Array(AsnConvert.serialize(extensions));
  checkExtensionsReadBack(extensionsDer, ski);
  const parts = { spki: new Uint8Array(AsnConvert.serialize(spki)), extensions: tlv(0xa3, extensionsDer) };
  if (keyParts.size >= KEY_PARTS_MAX) keyParts.delete(keyParts.keys().next().value!);
  keyParts.set(fingerprint, parts);
  return parts;
}

/**
 * The extensions every certificate of a key carries, read back from their DER once per key (the schema
 * decoder): basicConstraints critical CA:FALSE with no path length, keyUsage critical digitalSignature
 * only, the subject key identifier, nothing else. OpenSSL's read-back of each certificate
 * (certificate-openssl.ts) cannot show the CA flag itself — X509Certificate.ca is also false for a CA:TRUE
 * certificate whose keyUsage lacks keyCertSign — so these bytes are checked here, and each certificate
 * carries them unchanged (the lean reader reads its CA flag too). INTERNAL on any difference.
 */
export function checkExtensionsReadBack(der: Uint8Array, ski: Uint8Array): void {
  const read = AsnConvert.parse(toArrayBuffer(der), Extensions);
  const [bc, ku, id] = read;
  const ok =
    read.length === 3 &&
    bc?.extnID === id_ce_basicConstraints &&
    bc.critical &&
    (({ cA, pathLenConstraint }: BasicConstraints) => !cA && pathLenConstraint === undefined)(AsnConvert.parse(bc.extnValue, BasicConstraints)) &&
    ku?.extnID === id_ce_keyUsage &&
    ku.critical &&
    AsnConvert.parse(ku.extnValue, KeyUsage).toNumber() === KeyUsageFlags.digitalSignature &&
    id?.extnID === id_ce_subjectKeyIdentifier &&
    !id.critical &&
    Buffer.from(AsnConvert.parse(id.extnValue, SubjectKeyIdentifier).buffer).equals(Buffer.from(ski));
  if (!ok) throw new CeremonyError('INTERNAL', 'the certificate extensions built do not read back as a leaf (CA:FALSE, digitalSignature only, the key identifier)');
}

const algorithmDer = new Map<string, Uint8Array>();

/** AlgorithmIdentifier of an ecdsa-with-SHA* OID, encoded once. */
function algorithmIdentifier(oid: string): Uint8Array {
  let der = algorithmDer.get(oid);
  if (!der) {
    der = new Uint8Array(AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: oid })));
    algorithmDer.set(oid, der);
  }
  return der;
}

export interface TbsFields {
  spki: Uint8Array;
  /** hex SHA-256 of `spki` (the key's fingerprint): the per-key parts are kept under it. */
  fingerprint: string;
  signatureOid: string;
  serialNumber: Uint8Array;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

/** The DER TBSCertificate of a Notary root certificate (issuer = subject = CN, the extensions above). Exported for the byte-for-byte test. */
export function notaryTbsCertificate(f: TbsFields): Uint8Array {
  const parts = partsOf(f.spki, f.fingerprint);
  // RFC 5758 §3.2: ecdsa-with-SHA* AlgorithmIdentifiers have no parameters.
  const algorithm = algorithmIdentifier(f.signatureOid);
  const name = commonNameDer(f.commonName);
  return tlv(0x30, VERSION_V3, tlv(0x02, f.serialNumber), algorithm, name, tlv(0x30, timeDer(f.notBefore), timeDer(f.notAfter)), name, parts.spki, parts.extensions);
}

/**
 * Make and sign the certificate. Throws KEY_TYPE_UNSUPPORTED for keys that are not ECDSA, USAGE for an
 * empty GUN, DATE_INVALID for a validity that ends before it starts, TOKEN_SIGNATURE_INVALID if the
 * key's signature does not verify.
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
  checkCertificateTime(notBefore);
  checkCertificateTime(notAfter);
  const sig = ECDSA_WITH[key.algorithm];
  const tbsDer = notaryTbsCertificate({ spki: key.spki, fingerprint: key.fingerprint, signatureOid: sig.oid, serialNumber: serial(opts.serialNumber), commonName: gun, notBefore, notAfter });
  // SigningKey.sign returns a signature it has verified with the key's public key over exactly these
  // bytes (signing-key.ts: a token's answer is checked in software as it comes back), and the
  // certificate below carries these very bytes: that check is the certificate's, made once.
  const raw = await key.sign(tbsDer, sig.hash);
  const signatureValue = tlv(0x03, Uint8Array.of(0), rawToDer(raw));
  const der = tlv(0x30, tbsDer, algorithmIdentifier(sig.oid), signatureValue);

  // Parse back what we wrote, with the parser verification uses (the lean reader for this canonical shape,
  // profiles/x509-der.ts) AND with an independent one: our DER writer is never checked by our own reader
  // alone, and the two must read the very same facts. The independent reader is OpenSSL's
  // (certificate-openssl.ts, issue #17: about half the schema decoder's CPU, and it checks the signature
  // too) wherever it prints the CN verbatim, else the schema decoder (@peculiar/asn1-x509) as before.
  const parsed = parseCertificateDer(der, 'certificate');
  if (opensslPrintsVerbatim(gun)) {
    const intended = { commonName: gun, notBefore, notAfter, publicKey: decodeSpki(key.spki, 'certificate').keyObject, spki: key.spki, fingerprint: parsed.info.fingerprint };
    if (!(opts.readBack ? await opts.readBack(der, intended) : opensslReadsAsIntended(der, intended))) {
      throw new CeremonyError('INTERNAL', 'the certificate built does not read back through OpenSSL (node:crypto X509Certificate) as the leaf certificate intended');
    }
  } else {
    const independent = decodeCertificateSchema(der, parsed.info.fingerprint, 'certificate');
    if (!sameReading(parsed, independent)) {
      throw new CeremonyError('INTERNAL', 'the certificate built reads back differently through the lean reader and the schema decoder');
    }
  }
  if (
    parsed.info.isCA ||
    parsed.info.subjectCN !== gun ||
    parsed.info.signatureHash !== (sig.hash === 'sha256' ? 'SHA-256' : 'SHA-384') ||
    parsed.info.notBefore.getTime() !== notBefore.getTime() ||
    parsed.info.notAfter.getTime() !== notAfter.getTime() ||
    !Buffer.from(parsed.spki).equals(Buffer.from(key.spki))
  ) {
    throw new CeremonyError('INTERNAL', 'the certificate built does not read back as the leaf certificate intended');
  }
  const pem = pemOf('CERTIFICATE', der);
  return { der, pem, listed: listPublicKey('notary', key.spki, { certificatePem: pem }) };
}

/** The facts two decoders read out of one certificate are the same (key bytes, CN, validity, CA flag, hash). */
function sameReading(a: ParsedCertificate, b: ParsedCertificate): boolean {
  const x = a.info;
  const y = b.info;
  return (
    Buffer.from(a.spki).equals(Buffer.from(b.spki)) &&
    x.subjectCN === y.subjectCN &&
    x.notBefore.getTime() === y.notBefore.getTime() &&
    x.notAfter.getTime() === y.notAfter.getTime() &&
    x.isCA === y.isCA &&
    x.fingerprint === y.fingerprint &&
    x.signatureHash === y.signatureHash
  );
}
