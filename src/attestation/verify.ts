/**
 * Verifies a YubiKey PIV attestation: the per-slot attestation certificate (ATTEST, INS F9) must be signed
 * by the device's f9 certificate, and the f9 certificate must chain through Yubico's intermediates to a
 * Yubico root (yubico-pki.ts) — or, for tests and private PKIs only, to roots the caller supplies. Then the
 * attested public key must be the key in use, and the PIN and touch policy must be ones the plan allows.
 *
 * Untrusted input: size cap, parse (node:crypto X509Certificate), then the checks in order; every refusal is
 * a CeremonyError with its own code. Signatures are checked link by link with the issuer's key; names must
 * match exactly; every certificate on the path must be inside its validity at `now`. Not checked: pathlen
 * (the 2016 Yubico root has pathlen 0 above an f9 CA, which Yubico's own documentation accepts),
 * revocation (Yubico publishes none for attestation).
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import { familyOfFirmware, parseYubicoAttestation, type PinPolicy, type TouchPolicy, type YubicoAttestedFacts } from './yubico-extensions.js';
import { yubicoTrust, type AttestationTrust, type TrustedCa } from './yubico-pki.js';

/** An attestation or f9 certificate is about 1 KiB; anything far larger is not one. */
export const ATTESTATION_CERT_MAX_BYTES = 16 * 1024;
const MAX_DEPTH = 4;

export interface AttestationPolicy {
  /** PIN policies the plan accepts (e.g. ['once', 'always']); absent = any. */
  pin?: readonly PinPolicy[];
  /** Touch policies the plan accepts; absent = any. */
  touch?: readonly TouchPolicy[];
}

export interface VerifiedAttestation extends YubicoAttestedFacts {
  /** SHA-256 of the attested key's SubjectPublicKeyInfo DER, hex. */
  attestedKeySha256: string;
  /** The attested key's SubjectPublicKeyInfo, PEM. */
  attestedKeyPem: string;
  /** Subjects from the attestation certificate up to the root. */
  chain: string[];
  /** The root reached and whether it is one of Yubico's bundled roots. */
  root: { subject: string; sha256: string; bundled: boolean };
  /** The family the firmware says the chain should be (Yubico changed roots at 5.7.4). */
  expectedFamily: 'legacy' | 'current';
}

export interface VerifyAttestationOptions {
  trust?: AttestationTrust;
  now?: Date;
  /** The public key the ceremony holds for this key (SPKI DER): the attested key must be this one. */
  expectedSpki?: Uint8Array;
  policy?: AttestationPolicy;
  /** JSON paths (or file names) for messages. */
  paths?: { attestation: string; device: string };
}

function cn(name: string): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(name)?.[1] ?? name;
}

function parse(der: Uint8Array, what: string, path: string): X509Certificate {
  if (der.length > ATTESTATION_CERT_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `the ${what} is ${der.length} bytes, over the ${ATTESTATION_CERT_MAX_BYTES}-byte cap`, { path });
  try {
    return new X509Certificate(der);
  } catch {
    throw new CeremonyError('ATTESTATION_MALFORMED', `the ${what} is not an X.509 certificate`, { path });
  }
}

function checkValidity(cert: X509Certificate, now: Date, path: string): void {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(from <= now.getTime() && now.getTime() <= to)) {
    throw new CeremonyError('ATTESTATION_CHAIN_BROKEN', `"${cn(cert.subject)}" is not valid at ${now.toISOString()} (valid ${cert.validFrom} to ${cert.validTo})`, { path });
  }
}

function signedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.issuer === issuer.subject && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Walks from the f9 certificate to a root of `trust`, one verified link at a time. */
function walkToRoot(device: X509Certificate, trust: AttestationTrust, now: Date, path: string): { chain: X509Certificate[]; root: TrustedCa } {
  const chain: X509Certificate[] = [];
  let current = device;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const root = trust.roots.find((r) => signedBy(current, r.cert));
    if (root) {
      checkValidity(root.cert, now, path);
      return { chain, root };
    }
    const next = trust.intermediates.find((c) => signedBy(current, c.cert) && c.cert.raw.compare(current.raw) !== 0);
    if (!next) {
      const named = [...trust.roots, ...trust.intermediates].some((c) => c.cert.subject === current.issuer);
      if (named) {
        throw new CeremonyError('ATTESTATION_CHAIN_BROKEN', `"${cn(current.subject)}" names "${cn(current.issuer)}" as its issuer, but that CA's key did not sign it`, { path });
      }
      const which = trust.bundled ? 'one of the bundled Yubico CAs' : 'one of the given attestation roots';
      throw new CeremonyError('ATTESTATION_UNKNOWN_ROOT', `"${cn(current.subject)}" is issued by "${cn(current.issuer)}", which is not ${which}: this key was not attested by a genuine YubiKey`, { path });
    }
    checkValidity(next.cert, now, path);
    chain.push(next.cert);
    current = next.cert;
  }
  throw new CeremonyError('ATTESTATION_CHAIN_BROKEN', `the chain above "${cn(device.subject)}" is longer than ${MAX_DEPTH} certificates`, { path });
}

/**
 * Verifies one attestation (slot certificate and f9 certificate, DER). Throws ATTESTATION_MALFORMED,
 * ATTESTATION_CHAIN_BROKEN, ATTESTATION_UNKNOWN_ROOT, ATTESTATION_KEY_MISMATCH or
 * ATTESTATION_POLICY_FORBIDDEN; returns the attested facts otherwise.
 */
export function verifyYubicoAttestation(attestationDer: Uint8Array, deviceDer: Uint8Array, options: VerifyAttestationOptions = {}): VerifiedAttestation {
  const paths = options.paths ?? { attestation: 'attestation', device: 'f9' };
  const now = options.now ?? new Date();
  const trust = options.trust ?? yubicoTrust();
  const leaf = parse(attestationDer, 'attestation certificate', paths.attestation);
  const device = parse(deviceDer, 'f9 (device attestation) certificate', paths.device);
  const facts = parseYubicoAttestation(attestationDer, cn(leaf.subject), paths.attestation);

  // The slot certificate is made by the card with the f9 key: issuer = f9 subject, signed by its key.
  if (!signedBy(leaf, device)) {
    throw new CeremonyError('ATTESTATION_CHAIN_BROKEN', `the attestation certificate "${cn(leaf.subject)}" was not signed by the f9 certificate "${cn(device.subject)}" given with it`, { path: paths.attestation });
  }
  checkValidity(leaf, now, paths.attestation);
  checkValidity(device, now, paths.device);
  const { chain, root } = walkToRoot(device, trust, now, paths.device);

  const spki = new Uint8Array(leaf.publicKey.export({ type: 'spki', format: 'der' }));
  const attestedKeySha256 = createHash('sha256').update(spki).digest('hex');
  if (options.expectedSpki) {
    const expected = new Uint8Array(createPublicKey({ key: Buffer.from(options.expectedSpki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' }));
    if (Buffer.compare(Buffer.from(expected), Buffer.from(spki)) !== 0) {
      const got = createHash('sha256').update(expected).digest('hex');
      throw new CeremonyError('ATTESTATION_KEY_MISMATCH', `the attestation is for key sha256:${attestedKeySha256.slice(0, 16)}…, not for the key in use (sha256:${got.slice(0, 16)}…)`, { path: paths.attestation });
    }
  }
  const allowedPin = options.policy?.pin;
  if (allowedPin && !allowedPin.includes(facts.pinPolicy)) {
    throw new CeremonyError('ATTESTATION_POLICY_FORBIDDEN', `the key's PIN policy is "${facts.pinPolicy}"; the plan allows ${allowedPin.map((p) => `"${p}"`).join(', ')}`, { path: paths.attestation });
  }
  const allowedTouch = options.policy?.touch;
  if (allowedTouch && !allowedTouch.includes(facts.touchPolicy)) {
    throw new CeremonyError('ATTESTATION_POLICY_FORBIDDEN', `the key's touch policy is "${facts.touchPolicy}"; the plan allows ${allowedTouch.map((p) => `"${p}"`).join(', ')}`, { path: paths.attestation });
  }
  return {
    ...facts,
    attestedKeySha256,
    attestedKeyPem: leaf.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    chain: [leaf, device, ...chain, root.cert].map((c) => cn(c.subject)),
    root: { subject: cn(root.subject), sha256: root.sha256, bundled: trust.bundled },
    expectedFamily: familyOfFirmware(facts.firmware),
  };
}

/** The sentence the CLI and the Inspect screen show for a verified attestation. */
export function describeAttestation(a: VerifiedAttestation): string {
  return `key sha256:${a.attestedKeySha256.slice(0, 16)}… was generated on YubiKey serial ${a.serial}, firmware ${a.firmware}${a.slot ? `, slot ${a.slot}` : ''}, form factor ${a.formFactor}${a.fips ? ' (FIPS)' : ''}, PIN policy ${a.pinPolicy}, touch policy ${a.touchPolicy}; chain ${a.chain.map((c) => `"${c}"`).join(' → ')}${a.root.bundled ? '' : ' (NOT a Yubico root: given with --attestation-roots)'}`;
}
