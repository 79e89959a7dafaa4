/**
 * Yubico's public PIV attestation CAs, bundled (never fetched): the data file yubico-pki.json holds the
 * certificates as Yubico publishes them in its Yubico/developers.yubico.com repository (served at
 * https://developers.yubico.com/PKI/ and /PIV/Introduction/), and this module pins each one by the SHA-256
 * of its DER. A data file that does not match its pin is a broken build, not an input error.
 *
 * Two families (developers.yubico.com PIV/Introduction/PIV_attestation.adoc, "Yubico Root CA Update"):
 * - firmware before 5.7.4: the f9 certificate is issued by `Yubico PIV Root CA Serial 263751`, of which
 *   two certificates exist with the same key: the 2016 original (pathlen 0, which strict RFC 5280 path
 *   validation rejects under an f9 CA — OpenSSL 1.1.0 did) and the 2018 reissue (pathlen 1);
 * - firmware 5.7.4 and later: f9 → `Yubico PIV Attestation {A,B,B2} 1` → `Yubico Attestation Intermediate
 *   {A,B} 1` → `Yubico Attestation Root 1`; the two intermediate levels are not on the card.
 */
import { createHash, X509Certificate } from 'node:crypto';
import pki from './yubico-pki.json' with { type: 'json' };

export type AttestationFamily = 'legacy' | 'current';

export interface TrustedCa {
  subject: string;
  role: 'root' | 'intermediate';
  /** Which Yubico family, or 'test' for roots a caller passed in (never mixed with the bundled ones). */
  family: AttestationFamily | 'test';
  cert: X509Certificate;
  sha256: string;
}

export interface AttestationTrust {
  roots: TrustedCa[];
  intermediates: TrustedCa[];
  /** True for Yubico's bundled CAs; false for roots given with --attestation-roots (tests, private PKIs). */
  bundled: boolean;
}

/** SHA-256 of each bundled certificate's DER, in the order of yubico-pki.json. */
const PINS: readonly string[] = [
  '7e996a28e3055223733c9aec897900eda9b746e3e15d419556ac6a1179879a50', // Yubico PIV Root CA Serial 263751 (2016, pathlen 0)
  '63ece914e54dd87915f34033c85af4c0696ba1512f8add66ced738331207b546', // Yubico PIV Root CA Serial 263751 (2018 reissue, pathlen 1)
  '62760c6a6ef91679f454c8902b80fd009825b3f25da90f1fbace2ec6586cd5a8', // Yubico Attestation Root 1
  '4698a1d3389c3ec60016c216250f1d0439922832d65142327436376dc2942b55', // Yubico Attestation Intermediate A 1
  'd4cc3f456fdaf4e7812a21aab1dfe9d8e27d24e2fd2d6f21c9940109f0daa754', // Yubico Attestation Intermediate B 1
  '6de693f05376f5d8ca29069261e1c8626c75d503bd2edbfd75354cad1f722870', // Yubico PIV Attestation A 1
  '2d55b7998f4e42569d6d8fa382b6dc77d1dacf07358b19701163892922b17052', // Yubico PIV Attestation B 1
  '0c90b7d184a36edf50a35f9be935f0c5689bfdcfe5bdd073366cafb49061a440', // Yubico PIV Attestation B2 1
];

let bundled: AttestationTrust | undefined;

/** The bundled Yubico trust, each certificate checked against its pin on first use. */
export function yubicoTrust(): AttestationTrust {
  if (bundled) return bundled;
  if (pki.certificates.length !== PINS.length) throw new Error('yubico-pki.json does not hold the pinned set of Yubico CA certificates');
  const all = pki.certificates.map((entry, i): TrustedCa => {
    const cert = new X509Certificate(entry.pem);
    const sha256 = createHash('sha256').update(cert.raw).digest('hex');
    if (sha256 !== PINS[i]) throw new Error(`bundled Yubico certificate ${entry.subject} does not match its pinned SHA-256`);
    return { subject: cert.subject, role: entry.role as TrustedCa['role'], family: entry.family as AttestationFamily, cert, sha256 };
  });
  bundled = { roots: all.filter((c) => c.role === 'root'), intermediates: all.filter((c) => c.role === 'intermediate'), bundled: true };
  return bundled;
}

/**
 * Trust from certificates a caller supplies instead of Yubico's (`--attestation-roots`): self-issued ones
 * are roots, the rest intermediates (a private PKI's intermediates are not on the card either).
 */
export function trustFromCertificates(certs: readonly X509Certificate[]): AttestationTrust {
  const entries = certs.map((cert): TrustedCa => {
    const root = cert.subject === cert.issuer;
    return { subject: cert.subject, role: root ? 'root' : 'intermediate', family: 'test', cert, sha256: createHash('sha256').update(cert.raw).digest('hex') };
  });
  return { roots: entries.filter((c) => c.role === 'root'), intermediates: entries.filter((c) => c.role === 'intermediate'), bundled: false };
}
