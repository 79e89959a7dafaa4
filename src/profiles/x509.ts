/**
 * The X.509 certificates behind Notary's `ecdsa-x509` / `rsa-x509` root keys, parsed with
 * @peculiar/asn1-x509 (the ASN.1 schema layer of @peculiar/x509, without its dependency-injection
 * runtime) into the facts Notary's client checks (notary `trustpinning/certs.go`, FIELD-NOTES): the
 * leaf's public key, CN, validity, CA flag and signature hash. The policy lives in tuf/notary-root.ts.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, id_ce_basicConstraints } from '@peculiar/asn1-x509';
import { CeremonyError } from '../errors.js';
import type { CertificateInfo } from './profile.js';

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
 * intermediates). Only PEM certificate blocks and whitespace are allowed.
 */
export function parseCertificatePem(pem: string, path: string): ParsedCertificate {
  const blocks: Uint8Array[] = [];
  PEM_CERT.lastIndex = 0;
  const rest = pem.replace(PEM_CERT, (_all, body: string) => {
    blocks.push(new Uint8Array(Buffer.from(body.replace(/\r?\n/g, ''), 'base64')));
    return '';
  });
  if (blocks.length === 0 || rest.trim() !== '') {
    throw new CeremonyError('KEY_INVALID', 'expected PEM "CERTIFICATE" blocks and nothing else', { path });
  }
  return parseCertificateDer(blocks[0]!, path);
}

export function parseCertificateDer(der: Uint8Array, path: string): ParsedCertificate {
  try {
    const cert = AsnConvert.parse(toArrayBuffer(der), Certificate);
    const tbs = cert.tbsCertificate;
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
      fingerprint: createHash('sha256').update(der).digest('hex'),
      signatureHash: SIGNATURE_HASH[sigOid] ?? `unknown (${sigOid})`,
    };
    return { der: Uint8Array.from(der), spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)), info };
  } catch {
    throw new CeremonyError('KEY_INVALID', 'the certificate cannot be decoded', { path });
  }
}
