/**
 * The independent read-back of a Notary root certificate makeNotaryRootCertificate has just built, through
 * OpenSSL's X.509 parser (node:crypto X509Certificate): our DER writer (certificate.ts) must never be
 * checked by our own reader (profiles/x509-der.ts) alone (review-x509 finding 3), and OpenSSL is the
 * reader that shares no code with either. It replaced the @peculiar/asn1-x509 schema decoder for this job
 * (issue #17: ~0.7 ms of CPU per certificate, ~15 % of a thousand-repository ceremony's main thread; this
 * read-back costs about half of that, most of it OpenSSL's own decoding of the certificate and its key)
 * for every CN OpenSSL prints verbatim; certificate.ts keeps the schema decoder for the others.
 *
 * "Reads as intended" means OpenSSL decodes the whole DER (its fingerprint is the SHA-256 of exactly our
 * bytes) and reads subject = issuer = CN=<the GUN>, the validity to the second, no CA flag, our public key
 * in its own SubjectPublicKeyInfo bytes,
 * and a signature that verifies with our key under the hash its own signatureAlgorithm names — X509_verify
 * also refuses an inner signature algorithm that is not the outer one (RFC 5280 §4.1.1.2).
 */
import { X509Certificate, type KeyObject } from 'node:crypto';

export interface IntendedCertificate {
  /** The subject's (and issuer's) one commonName: the GUN. */
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** The key the certificate is of and signed by. */
  publicKey: KeyObject;
  /** That key's SubjectPublicKeyInfo DER, as the certificate must carry it (the token's, which decodeSpki took as the key's one DER form). */
  spki: Uint8Array;
  /** hex SHA-256 of the DER. */
  fingerprint: string;
}

/**
 * opensslReadsAsIntended made elsewhere — on a worker thread (io/certificate-readback-pool.ts) — with the
 * same verdict; makeNotaryRootCertificate awaits it as it would the call.
 */
export type OpensslReadBack = (der: Uint8Array, intended: IntendedCertificate) => Promise<boolean>;

/**
 * True when OpenSSL prints `CN=<cn>` as `cn` itself: X509Certificate.subject escapes RFC 2253's specials
 * (`, + " \ < > ;` anywhere, `#` or a space first, a space last); control characters never reach a GUN
 * (certificate.ts refuses them). For any other name certificate.ts reads back with the schema decoder.
 */
export function opensslPrintsVerbatim(cn: string): boolean {
  return !/[,+"\\<>;]|^[# ]| $/.test(cn);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** A whole-second time as OpenSSL's ASN1_TIME_print writes it (X509Certificate.validFrom): `Dec  6 20:27:26 2026 GMT`. */
export function opensslTime(date: Date): string {
  const day = String(date.getUTCDate()).padStart(2, ' ');
  return `${MONTHS[date.getUTCMonth()]!} ${day} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()} GMT`;
}

/** Whether OpenSSL reads `der` as the leaf certificate `intended` describes (see the file comment). Never throws. */
export function opensslReadsAsIntended(der: Uint8Array, intended: IntendedCertificate): boolean {
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch {
    return false;
  }
  const name = `CN=${intended.commonName}`;
  try {
    if (
      x.fingerprint256 !== intended.fingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1:') ||
      x.subject !== name ||
      x.issuer !== name ||
      x.validFrom !== opensslTime(intended.notBefore) ||
      x.validTo !== opensslTime(intended.notAfter) ||
      x.ca
    ) {
      return false;
    }
    // X509Certificate.publicKey decodes the key anew on every read: read once. Exporting a key costs
    // OpenSSL an encoder lookup (~0.1 ms, issue #17's per-certificate CPU), so the intended key's bytes
    // come from the caller, not from exporting intended.publicKey.
    const key = x.publicKey;
    return (
      key.equals(intended.publicKey) &&
      // The key's bytes too, not only its value: OpenSSL re-exports a key as it read it, so the same key as a
      // compressed point or with explicit curve parameters is another SubjectPublicKeyInfo (review-7 F3.2).
      key.export({ type: 'spki', format: 'der' }).equals(intended.spki) &&
      x.verify(intended.publicKey)
    );
  } catch {
    return false;
  }
}
