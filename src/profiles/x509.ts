/**
 * The X.509 certificates behind Notary's `ecdsa-x509` / `rsa-x509` root keys, parsed with
 * @peculiar/asn1-x509 (the ASN.1 schema layer of @peculiar/x509, without its dependency-injection
 * runtime) into the facts Notary's client checks (notary `trustpinning/certs.go`, FIELD-NOTES): the
 * leaf's public key, CN, validity, CA flag and signature hash. The policy lives in tuf/notary-root.ts.
 */
import { hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { CeremonyError } from '../errors.js';
import type { CertificateInfo } from './profile.js';
import { readCanonicalCertificate } from './x509-der.js';

type Asn1 = Pick<typeof import('@peculiar/asn1-schema'), 'AsnConvert' | 'AsnParser'> &
  Pick<typeof import('@peculiar/asn1-x509'), 'BasicConstraints' | 'Certificate' | 'id_ce_basicConstraints'> &
  Pick<typeof import('asn1js'), 'fromBER'>;
let asn1: Asn1 | undefined;

/**
 * The ASN.1 layer, loaded when the first certificate is parsed (issue #18): TUF metadata, and every CLI
 * command but the Notary ones, never need it. These packages are CommonJS only (no `exports`, `main` is the
 * CJS build), so `import` already gave this very module instance; `require` just defers it.
 */
function loadAsn1(): Asn1 {
  if (!asn1) {
    const require = createRequire(import.meta.url);
    const schema = require('@peculiar/asn1-schema') as typeof import('@peculiar/asn1-schema');
    const x509 = require('@peculiar/asn1-x509') as typeof import('@peculiar/asn1-x509');
    // asn1js is the BER layer under asn1-schema, a direct dependency of ours at the version asn1-schema
    // uses (package.json; `npm ls asn1js` shows one copy): the decoder below keeps its tree for the raw
    // bytes the schema objects do not carry. CommonJS only as well (`main`, no `exports`).
    const ber = require('asn1js') as typeof import('asn1js');
    asn1 = {
      AsnConvert: schema.AsnConvert,
      AsnParser: schema.AsnParser,
      BasicConstraints: x509.BasicConstraints,
      Certificate: x509.Certificate,
      id_ce_basicConstraints: x509.id_ce_basicConstraints,
      fromBER: ber.fromBER,
    };
  }
  return asn1;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n-----END CERTIFICATE-----\r?\n?/g;

const OID_CN = '2.5.4.3';
/** Signature algorithm OIDs → the hash they use (RFC 5758, RFC 4055, RFC 8410). */
const SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
  '1.2.840.113549.1.1.5': 'SHA-1',
  // Go's crypto/x509 reads these as SHA1WithRSA and DSAWithSHA1, which notary's ValidateCertificate refuses.
  '1.3.14.3.2.29': 'SHA-1',
  '1.2.840.10040.4.3': 'SHA-1',
  '1.2.840.113549.1.1.4': 'MD5',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.3.101.112': 'Ed25519',
};

export interface ParsedCertificate {
  spki: Uint8Array;
  info: CertificateInfo;
  der: Uint8Array;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

/**
 * Parse a PEM bundle whose first certificate is the leaf (Notary writes leaf first, then any
 * intermediates). Only PEM certificate blocks and whitespace are allowed, and — as notary's
 * `LoadCertBundleFromPEM`, which fails on any block Go's x509.ParseCertificate refuses — every block of
 * the chain must decode: strict base64, one whole certificate, no bytes after it ("x509: trailing data").
 */
export function parseCertificatePem(pem: string, path: string): ParsedCertificate {
  const blocks: { b64: string; der: Uint8Array }[] = [];
  PEM_CERT.lastIndex = 0;
  const rest = pem.replace(PEM_CERT, (_all, body: string) => {
    const b64 = body.replace(/\r?\n/g, '');
    blocks.push({ b64, der: new Uint8Array(Buffer.from(b64, 'base64')) });
    return '';
  });
  if (blocks.length === 0 || rest.trim() !== '') {
    throw new CeremonyError('KEY_INVALID', 'expected PEM "CERTIFICATE" blocks and nothing else', { path });
  }
  const parsed = blocks.map(({ b64, der }, i) => {
    const which = blocks.length > 1 ? `certificate ${i + 1} of ${blocks.length} in the PEM chain` : 'the certificate';
    if (Buffer.from(der).toString('base64') !== b64) throw new CeremonyError('KEY_INVALID', `${which} is not valid base64`, { path });
    const whole = derElementLength(der);
    if (whole !== undefined && whole < der.length) {
      throw new CeremonyError('KEY_INVALID', `${which} has ${der.length - whole} bytes after the certificate; the notary client refuses the whole key`, { path });
    }
    try {
      return parseCertificateDer(der, path);
    } catch (err) {
      throw new CeremonyError('KEY_INVALID', `${which} cannot be decoded; the notary client refuses the whole key`, { path, cause: err });
    }
  });
  return parsed[0]!;
}

/** The length of the DER element at the start of `der` (tag, length, content), or undefined if malformed. */
function derElementLength(der: Uint8Array): number | undefined {
  if (der.length < 2) return undefined;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || der.length < 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[2 + i]!;
  return 2 + n + len;
}

/**
 * Certificates already decoded in this process, by the SHA-256 of their DER (issue #17: a ceremony for many
 * Notary repositories decodes each new certificate three or four times — when it is made, listed in
 * root.json, and verified — and the ASN.1 schema layer is the largest cost after the tokens'). The result
 * is a pure function of the bytes, so a hit is exact; only successes are kept, every caller gets its own
 * copies, and the table is bounded (oldest first out) so hostile input cannot grow it.
 */
const decoded = new Map<string, { spki: Uint8Array; info: CertificateInfo }>();
const DECODED_MAX = 4096;

function infoCopy(info: CertificateInfo): CertificateInfo {
  return { ...info, notBefore: new Date(info.notBefore.getTime()), notAfter: new Date(info.notAfter.getTime()) };
}

function copyOf(der: Uint8Array, hit: { spki: Uint8Array; info: CertificateInfo }): ParsedCertificate {
  return { der: Uint8Array.from(der), spki: Uint8Array.from(hit.spki), info: infoCopy(hit.info) };
}

export function parseCertificateDer(der: Uint8Array, path: string): ParsedCertificate {
  // Go's x509.ParseCertificate refuses bytes after the certificate (the ASN.1 layer here would ignore them).
  const whole = derElementLength(der);
  if (whole !== undefined && whole < der.length) {
    throw new CeremonyError('KEY_INVALID', `the certificate has ${der.length - whole} bytes after the certificate`, { path });
  }
  const fingerprint = hash('sha256', der, 'hex');
  const hit = decoded.get(fingerprint);
  if (hit) return copyOf(der, hit);
  const parsed = decodeCertificate(der, fingerprint, path);
  if (decoded.size >= DECODED_MAX) decoded.delete(decoded.keys().next().value!);
  decoded.set(fingerprint, { spki: Uint8Array.from(parsed.spki), info: infoCopy(parsed.info) });
  return parsed;
}

/** One certificate not yet in the table: the canonical fast path, else the schema decoder (exported for the differential test). */
export function decodeCertificate(der: Uint8Array, fingerprint: string, path: string): ParsedCertificate {
  // Issue #17: the common canonical-DER shape is read directly; anything else goes to the schema decoder
  // below, which stays the spec (x509-der.ts returns only what it would return, or nothing).
  const fast = readCanonicalCertificate(der);
  if (fast) {
    const { spki, signatureOid, ...rest } = fast;
    return { der: Uint8Array.from(der), spki, info: { ...rest, fingerprint, signatureHash: signatureHashOf(signatureOid) } };
  }
  return decodeCertificateSchema(der, fingerprint, path);
}

function signatureHashOf(oid: string): string {
  return SIGNATURE_HASH[oid] ?? `unknown (${oid})`;
}

/**
 * The schema decoder (@peculiar/asn1-x509): the rules every certificate is held to. Exported for the
 * differential test of x509-der.ts only. Beyond the schema it refuses, as Go's crypto/x509 (the notary
 * client's parser) does, an inner signature algorithm that is not the outer one byte for byte, a malformed
 * time, an extension present twice, and extensions in a v1/v2 certificate.
 */
export function decodeCertificateSchema(der: Uint8Array, fingerprint: string, path: string): ParsedCertificate {
  const { AsnConvert, AsnParser, BasicConstraints, Certificate, id_ce_basicConstraints, fromBER } = loadAsn1();
  const refuse = (what: string): never => {
    throw new CeremonyError('KEY_INVALID', `the certificate cannot be decoded: ${what}`, { path });
  };
  try {
    const ber = fromBER(toArrayBuffer(der));
    if (ber.result.error) throw new Error(ber.result.error); // as AsnConvert.parse: the generic refusal below
    const cert = AsnParser.fromASN(ber.result, Certificate);
    const tbs = cert.tbsCertificate;
    // The schema matched, so the tree is Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?,
    // serialNumber, signature, ... }, signatureAlgorithm, signatureValue } (RFC 5280 §4.1).
    const top = (ber.result as unknown as Node).valueBlock.value;
    const tbsItems = top[0]!.valueBlock.value;
    const v = tbsItems[0]!.idBlock.tagClass === 3 ? 1 : 0;
    // §4.1.1.2 / §4.1.2.3: "MUST contain the same algorithm identifier"; Go: "inner and outer signature
    // algorithm identifiers don't match".
    if (!Buffer.from(raw(tbsItems[v + 1]!)).equals(Buffer.from(raw(top[1]!)))) {
      refuse('tbsCertificate.signature differs from signatureAlgorithm (RFC 5280 §4.1.2.3)');
    }
    // §4.1.2.5.1/§4.1.2.5.2: YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ, no fractions, fields in range (Go's parser
    // refuses a malformed validity; asn1js would read "25+101000000Z" as a date).
    const validity = tbsItems[v + 3]!.valueBlock.value;
    checkTime(validity[0]!, tbs.validity.notBefore.getTime(), 'tbsCertificate.validity.notBefore', refuse);
    checkTime(validity[1]!, tbs.validity.notAfter.getTime(), 'tbsCertificate.validity.notAfter', refuse);
    if (tbs.extensions !== undefined && tbs.version !== 2) {
      refuse('tbsCertificate.extensions in a certificate that is not version 3 (RFC 5280 §4.1.2.9)');
    }
    // §4.2: "A certificate MUST NOT include more than one instance of a particular extension" (Go: "certificate
    // contains duplicate extensions").
    const seen = new Set<string>();
    for (const ext of tbs.extensions ?? []) {
      if (seen.has(ext.extnID)) refuse(`tbsCertificate.extensions has ${ext.extnID} twice (RFC 5280 §4.2)`);
      seen.add(ext.extnID);
    }
    let subjectCN = '';
    for (const rdn of tbs.subject) {
      for (const atv of rdn) {
        if (atv.type === OID_CN) subjectCN = atv.value.toString();
      }
    }
    let isCA = false;
    for (const ext of tbs.extensions ?? []) {
      if (ext.extnID === id_ce_basicConstraints) isCA = AsnConvert.parse(ext.extnValue, BasicConstraints).cA;
    }
    const sigOid = cert.signatureAlgorithm.algorithm;
    const info: CertificateInfo = {
      subjectCN,
      notBefore: tbs.validity.notBefore.getTime(),
      notAfter: tbs.validity.notAfter.getTime(),
      isCA,
      fingerprint,
      signatureHash: signatureHashOf(sigOid),
    };
    return { der: Uint8Array.from(der), spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)), info };
  } catch (err) {
    if (err instanceof CeremonyError) throw err;
    throw new CeremonyError('KEY_INVALID', 'the certificate cannot be decoded', { path });
  }
}

/** The part of an asn1js block read here (children only of constructed ones). */
type Node = { idBlock: { tagClass: number; tagNumber: number }; valueBeforeDecodeView: Uint8Array; valueBlock: { value: Node[] } };

const two = (n: number): string => String(n).padStart(2, '0');

/** The Time at `block` is in RFC 5280's one form: its text is exactly what the date it gave reads as. */
function checkTime(block: Node, date: Date, where: string, refuse: (what: string) => never): void {
  const bytes = raw(block);
  const text = Buffer.from(bytes.subarray(bytes[1]! < 0x80 ? 2 : 2 + (bytes[1]! & 0x7f))).toString('latin1');
  const year = date.getUTCFullYear();
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  const utc = block.idBlock.tagNumber === 23;
  const want = utc ? (year >= 1950 && year <= 2049 ? `${two(year % 100)}${rest}` : undefined) : `${String(year).padStart(4, '0')}${rest}`;
  if (Number.isNaN(date.getTime()) || date.getUTCMilliseconds() !== 0 || text !== want) {
    refuse(`${where} is not ${utc ? 'YYMMDDHHMMSSZ' : 'YYYYMMDDHHMMSSZ'} (RFC 5280 §4.1.2.5)`);
  }
}

/** An element's own encoding (tag, length, content) as asn1js read it. */
function raw(block: Node): Uint8Array {
  return block.valueBeforeDecodeView;
}
