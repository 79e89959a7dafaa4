/**
 * The attestation options `verify`, `import`, `inspect` and `run` share (issue #13):
 *
 *   --attestation-roots PEM   trust these CA certificates instead of the bundled Yubico roots (tests, private
 *                             PKIs only; every attestation then says "NOT a Yubico root")
 *   --require-attestation     every root key must come with a valid attestation (ATTESTATION_MISSING)
 *   --pin-policy LIST         PIN policies an attested key may have, comma-separated (once,always,…)
 *   --touch-policy LIST       touch policies an attested key may have (always,cached,…)
 *   --plan PLAN               take the requirement from the reviewed plan's "attestation" field
 *
 * The requirement is the operator's (or the plan's), never the input's: attestations.json cannot waive its
 * own check.
 */
import { X509Certificate } from 'node:crypto';
import { basename } from 'node:path';
import { certificatesFromBytes } from '../attestation/pem.js';
import type { AttestationRequirement } from '../attestation/repository.js';
import { ATTESTATION_CERT_MAX_BYTES } from '../attestation/verify.js';
import type { PinPolicy, TouchPolicy } from '../attestation/yubico-extensions.js';
import { trustFromCertificates, type AttestationTrust } from '../attestation/yubico-pki.js';
import { parsePlan, PLAN_MAX_BYTES } from '../ceremony/plan.js';
import { CeremonyError } from '../errors.js';
import { readFileCapped } from '../io/files.js';
import type { AttestationFlags } from './attestation-flags.js';

export { withAttestationFlags, type AttestationFlags } from './attestation-flags.js';


/** `--attestation-roots PEM`: self-issued certificates are roots, the others intermediates. */
export async function readAttestationRoots(path: string): Promise<AttestationTrust> {
  const ders = certificatesFromBytes(await readFileCapped(path, 64 * ATTESTATION_CERT_MAX_BYTES), basename(path));
  let certs: X509Certificate[];
  try {
    certs = ders.map((d) => new X509Certificate(d));
  } catch {
    throw new CeremonyError('ATTESTATION_MALFORMED', 'a certificate in --attestation-roots does not parse', { path: basename(path) });
  }
  return trustFromCertificates(certs);
}

const PIN: readonly PinPolicy[] = ['default', 'never', 'once', 'always', 'match-once', 'match-always'];
const TOUCH: readonly TouchPolicy[] = ['default', 'never', 'always', 'cached'];

function list<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = text.split(',').map((s) => s.trim());
  for (const i of items) if (!(allowed as readonly string[]).includes(i)) throw new CeremonyError('USAGE', `${flag} takes a comma-separated list of ${allowed.join(', ')}; ${JSON.stringify(i)} is not one`);
  return items as T[];
}

/** The requirement the flags (or the plan) state; undefined when they state none. */
export async function attestationRequirement(flags: AttestationFlags): Promise<AttestationRequirement | undefined> {
  const byFlags = flags.requireAttestation || flags.pinPolicy !== undefined || flags.touchPolicy !== undefined;
  if (flags.plan && byFlags) throw new CeremonyError('USAGE', 'take the attestation requirement from --plan or from --require-attestation / --pin-policy / --touch-policy, not both');
  if (flags.plan) return parsePlan(await readFileCapped(flags.plan, PLAN_MAX_BYTES), { source: basename(flags.plan), rehearsal: true }).attestation;
  if (!byFlags) return undefined;
  return {
    required: Boolean(flags.requireAttestation),
    ...(flags.pinPolicy !== undefined ? { pinPolicy: list(flags.pinPolicy, PIN, '--pin-policy') } : {}),
    ...(flags.touchPolicy !== undefined ? { touchPolicy: list(flags.touchPolicy, TOUCH, '--touch-policy') } : {}),
  };
}

/** Trust and requirement from the flags, as checkRepositoryAttestations takes them. */
export async function attestationOptions(flags: AttestationFlags): Promise<{ trust?: AttestationTrust; requirement?: AttestationRequirement }> {
  const trust = flags.attestationRoots ? await readAttestationRoots(flags.attestationRoots) : undefined;
  const requirement = await attestationRequirement(flags);
  return { ...(trust ? { trust } : {}), ...(requirement ? { requirement } : {}) };
}

/** Registers the flags on a commander command. */
