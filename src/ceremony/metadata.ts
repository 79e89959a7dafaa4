/**
 * The metadata a root ceremony writes, built deterministically from the plan and the public facts in the
 * state — so a resumed ceremony rebuilds exactly the bytes the signatures collected before the interruption
 * are over (and checks it: the state records the SHA-256 of each role's canonical bytes).
 *
 * - Notary: `Root` (root keys `ecdsa-x509`, the server's timestamp key, the snapshot key held or the
 *   server's), `Targets` v1 with no targets and `delegations: {keys: {}, roles: []}` as notary writes it,
 *   `Snapshot` v1 listing `root` and `targets` by length and sha256 + sha512 (base64), when the ceremony
 *   holds the snapshot key. No timestamp: notary-server makes it.
 * - TUF 1.0: root, targets, snapshot (meta `targets.json`), timestamp (meta `snapshot.json`), all v1, with
 *   lengths and sha256 hashes (hex) binding each file to the next.
 */
import { CeremonyError } from '../errors.js';
import { digest } from '../crypto/digest.js';
import type { JsonObject } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName, SignatureJson } from '../profiles/profile.js';
import { serializeMetadata } from '../tuf/sign.js';
import type { CeremonyContext } from './context.js';
import { listingOf } from './keys.js';
import { holdsRole, plannedKeys, type CeremonyPlan } from './plan.js';
import type { MetadataRole } from './state.js';

/** The spec version written in TUF metadata (what python-tuf 5 and tuf-js 3+ write). */
export const TUF_SPEC_VERSION = '1.0.31';

function typeName(profile: ProfileName, role: MetadataRole): string {
  return profile === 'tuf' ? role : role[0]!.toUpperCase() + role.slice(1);
}

function common(plan: CeremonyPlan, role: MetadataRole, expires: string): JsonObject {
  const out: JsonObject = { _type: typeName(plan.profile, role), version: 1, expires };
  if (plan.profile === 'tuf') out.spec_version = TUF_SPEC_VERSION;
  return out;
}

/** Root v1: every planned key listed, each role's key IDs in plan order. */
export async function buildRootSigned(ctx: CeremonyContext): Promise<JsonObject> {
  const plan = ctx.plan;
  const keys: JsonObject = {};
  const roles: Record<MetadataRole, string[]> = { root: [], targets: [], snapshot: [], timestamp: [] };
  for (const planned of plannedKeys(plan)) {
    const listed = await listingOf(ctx, planned.name);
    if (roles[planned.role].includes(listed.keyId)) throw new CeremonyError('KEY_DUPLICATE_IN_ROLE', `the ${planned.role} role would list key ${listed.keyId.slice(0, 16)}… twice`);
    keys[listed.keyId] = listed.json;
    roles[planned.role].push(listed.keyId);
  }
  const rolesJson: JsonObject = {};
  for (const role of ['root', 'snapshot', 'targets', 'timestamp'] as const) {
    rolesJson[role] = { keyids: roles[role], threshold: role === 'root' ? plan.root.threshold : 1 };
  }
  return { ...common(plan, 'root', plan.root.expires.text), consistent_snapshot: plan.consistentSnapshot, keys, roles: rolesJson };
}

export function buildTargetsSigned(plan: CeremonyPlan): JsonObject {
  const out: JsonObject = { ...common(plan, 'targets', plan.targets.expires.text), targets: {} };
  // notary's own targets.json v1 carries empty delegations (and the server's snapshot hashes those bytes).
  if (plan.profile === 'notary') out.delegations = { keys: {}, roles: [] };
  return out;
}

function metaEntry(plan: CeremonyPlan, bytes: Uint8Array, version: number): JsonObject {
  const p = getProfile(plan.profile);
  if (plan.profile === 'notary') {
    return { hashes: { sha256: p.encodeDigest(digest('sha256', bytes)), sha512: p.encodeDigest(digest('sha512', bytes)) }, length: bytes.length };
  }
  return { hashes: { sha256: p.encodeDigest(digest('sha256', bytes)) }, length: bytes.length, version };
}

export function buildSnapshotSigned(plan: CeremonyPlan, rootFile: Uint8Array, targetsFile: Uint8Array): JsonObject {
  const held = plan.snapshot;
  if (!('expires' in held)) throw new CeremonyError('INTERNAL', 'the snapshot is the server\'s');
  const meta: JsonObject =
    plan.profile === 'notary' ? { root: metaEntry(plan, rootFile, 1), targets: metaEntry(plan, targetsFile, 1) } : { 'targets.json': metaEntry(plan, targetsFile, 1) };
  return { ...common(plan, 'snapshot', held.expires.text), meta };
}

export function buildTimestampSigned(plan: CeremonyPlan, snapshotFile: Uint8Array): JsonObject {
  const held = plan.timestamp;
  if (!('expires' in held)) throw new CeremonyError('INTERNAL', 'the timestamp is the server\'s');
  return { ...common(plan, 'timestamp', held.expires.text), meta: { 'snapshot.json': metaEntry(plan, snapshotFile, 1) } };
}

/** The file bytes of a role from its `signed` and the signatures collected. */
export function fileOf(plan: CeremonyPlan, signed: JsonObject, signatures: readonly SignatureJson[]): Uint8Array {
  return serializeMetadata(plan.profile, { signed, signatures: [...signatures] });
}

/** The roles whose files this ceremony writes, in signing order. */
export function writtenRoles(plan: CeremonyPlan): MetadataRole[] {
  const out: MetadataRole[] = ['root', 'targets'];
  if (holdsRole(plan, 'snapshot')) out.push('snapshot');
  if (holdsRole(plan, 'timestamp')) out.push('timestamp');
  return out;
}

/**
 * Every role's `signed` as this ceremony builds it, given the signatures collected so far (snapshot needs
 * the signed root and targets files, timestamp the signed snapshot file).
 */
export async function buildAll(ctx: CeremonyContext): Promise<Partial<Record<MetadataRole, JsonObject>>> {
  const plan = ctx.plan;
  const out: Partial<Record<MetadataRole, JsonObject>> = { root: await buildRootSigned(ctx), targets: buildTargetsSigned(plan) };
  const sigs = ctx.state.signatures;
  if (holdsRole(plan, 'snapshot') && sigs.root?.length && sigs.targets?.length) {
    out.snapshot = buildSnapshotSigned(plan, fileOf(plan, out.root!, sigs.root), fileOf(plan, out.targets!, sigs.targets));
    if (holdsRole(plan, 'timestamp') && sigs.snapshot?.length) out.timestamp = buildTimestampSigned(plan, fileOf(plan, out.snapshot, sigs.snapshot));
  }
  return out;
}
