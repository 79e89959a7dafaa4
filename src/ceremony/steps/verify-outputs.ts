/**
 * Step 6: verify what will be written, as a client would, before a byte of it is written:
 * verifyRepository with the fresh root pinned (root signed by its own threshold, every other role by its
 * keys, lengths and hashes binding snapshot → targets (and Notary's snapshot → root), timestamp →
 * snapshot, nothing expired), Notary's root certificate rules with the GUN (leaf, CN = GUN, valid, not
 * SHA-1), and that root.json says what the plan says: the threshold, and exactly the keys the ceremony
 * made (and the server's) in each role.
 */
import { ATTESTATIONS_FILE, encodeAttestations, type AttestationEntry } from '../../attestation/attestations-file.js';
import { certificatesFromBytes } from '../../attestation/pem.js';
import { checkRepositoryAttestations } from '../../attestation/repository.js';
import { CeremonyError } from '../../errors.js';
import type { Root } from '../../tuf/root.js';
import { sha256Hex } from '../../crypto/digest.js';
import { checkNotaryRootCertificates } from '../../tuf/notary-root.js';
import { verifyRepository, type RepositoryFiles } from '../../tuf/repository.js';
import type { CeremonyContext } from '../context.js';
import { metadataFiles } from '../outputs.js';
import { holdsRole, plannedKeys } from '../plan.js';
import type { Step } from './step.js';
import { inState, statePathOf } from '../state-where.js';

export async function verifiedOutputs(ctx: CeremonyContext): Promise<{ name: string; bytes: Uint8Array }[]> {
  const files = await metadataFiles(ctx);
  const get = (name: string): Uint8Array | undefined => files.find((f) => f.name === name)?.bytes;
  const root = get('root.json')!;
  const repo: RepositoryFiles = { versionedRoots: new Map([[1, root]]), root, delegated: new Map() };
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    const bytes = get(`${role}.json`);
    if (bytes) repo[role] = bytes;
  }
  const now = ctx.now();
  const notary = ctx.plan.profile === 'notary';
  const v = verifyRepository(repo, { trustedRoot: root, now, ...(notary ? { gun: ctx.plan.repository } : {}), requireComplete: !notary && holdsRole(ctx.plan, 'timestamp') });
  if (notary) checkNotaryRootCertificates(v.root, now, ctx.plan.repository);

  const roles = v.root.signed.roles;
  if (roles.get('root')!.threshold !== ctx.plan.root.threshold) throw new CeremonyError('INTERNAL', 'root.json does not have the threshold of the plan');
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    const expected = plannedKeys(ctx.plan)
      .filter((k) => k.role === role)
      .map((k) => ctx.state.keys[k.name]?.keyId)
      .sort();
    const listed = [...roles.get(role)!.keyids].sort();
    if (expected.length !== listed.length || expected.some((id, i) => id !== listed[i])) {
      throw new CeremonyError('INTERNAL', `root.json does not list exactly the ${role} keys the ceremony recorded`);
    }
  }
  const attestations = attestationsFile(ctx, v.root.signed);
  if (attestations) files.push(attestations);
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    const sha = ctx.state.signed[role];
    const md = role === 'root' ? v.root : v[role]?.md;
    if (md && sha && sha256Hex(md.signedBytes()) !== sha) throw new CeremonyError('CEREMONY_STATE_INVALID', `${role}.json is not the ${role} built and signed`, { path: inState(statePathOf(ctx), `$.signed.${role}`) });
  }
  return files;
}

/**
 * attestations.json (issue #13): every key the ceremony recorded an attestation for, by the key ID root.json
 * lists it under — checked here as verify and import will check it (strictly, against root.json's keys,
 * with the plan's requirement). None when no key has one and the plan requires none.
 */
function attestationsFile(ctx: CeremonyContext, root: Root): { name: string; bytes: Uint8Array } | undefined {
  const entries = new Map<string, AttestationEntry>();
  for (const rec of Object.values(ctx.state.keys)) {
    if (!rec.attestation || !rec.keyId) continue;
    const one = (pem: string, field: string) => certificatesFromBytes(new TextEncoder().encode(pem), `$.keys.attestation.${field}`)[0]!;
    entries.set(rec.keyId, { kind: rec.attestation.kind, attestationDer: one(rec.attestation.attestation, 'attestation'), deviceDer: one(rec.attestation.device, 'device') });
  }
  const bytes = entries.size ? encodeAttestations(entries) : undefined;
  checkRepositoryAttestations(root, bytes, {
    strict: true,
    now: ctx.now(),
    ...(ctx.attestationTrust ? { trust: ctx.attestationTrust } : {}),
    ...(ctx.plan.attestation ? { requirement: ctx.plan.attestation } : {}),
  });
  return bytes ? { name: ATTESTATIONS_FILE, bytes } : undefined;
}

export const verifyOutputs: Step = {
  name: 'verify-outputs',
  title: 'verify the metadata as a client would',
  applies: () => true,
  async run(ctx) {
    const files = await verifiedOutputs(ctx);
    const notary = ctx.plan.profile === 'notary';
    const names = files.map((f) => f.name).join(', ');
    ctx.report(`  verified ${names} with the new root pinned${notary ? `; Notary root certificates name ${ctx.plan.repository}` : ''}`);
    return {
      note: `verified with the new root.json pinned: ${names}; root signed by ${ctx.plan.root.threshold} of its keys as required${notary ? `; root certificates are leaves naming ${ctx.plan.repository}, valid now` : '; timestamp → snapshot → targets lengths and hashes match'}`,
      digests: files.filter((f) => !/^1\./.test(f.name)).map((f) => ({ label: `${f.name} as it will be written`, sha256: sha256Hex(f.bytes) })),
    };
  },
};
