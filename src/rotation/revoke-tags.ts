/**
 * "Revoke these tags too" (issue #14): a delegation re-key or key revocation (targets.json N+1, signed by
 * the targets keys) that also carries the delegated role's own file N+1 with some of its targets (Docker
 * tags) removed — signed by the delegation's keys as targets.json N+1 lists them (the keys that remain or
 * arrive, at the NEW threshold: TUF 5.6.7, a client verifies the delegated file under the delegating
 * targets.json it has just accepted). Both files are one request: one request ID binds both payloads, the
 * review lists both parts, and merge writes both or neither (MERGE_HALF_SIGNED).
 *
 * Why one request: revoking a key does NOT revoke the targets it signed — the role's file stays trusted
 * while its remaining keys meet the threshold, and when it stops verifying the next re-sign (Notary:
 * `notary witness`, which the delegate's next publish needs) re-endorses every target it lists. Only a
 * re-signed file WITHOUT those targets drops them, and it must be published with targets.json N+1: published
 * after it, the old targets stay trusted (or come back) in between.
 *
 * The part's payload is the role's current file (carried in the request's `delegatedFiles`, verified under
 * targets.json N) with version N+1, a new expiry (default the current one) and the named targets removed —
 * nothing else may differ (REVOKE_TAGS_INVALID). The request document carries it as
 *
 * ```
 * "revokeTags": { "role": "<role>", "payload": <the unsigned `signed` object of the role's file N+1>,
 *                 "policy": { "keyids": […], "threshold": n },   (the role's entry in targets.json N+1)
 *                 "expectedSigners": [ { "keyid", "name", "from": "targets" } ] }
 * ```
 *
 * A co-signer's response answers one part: its `payloadSha256` is that part's (both share the request ID).
 */
import { createHash } from 'node:crypto';
import { CeremonyError, messageWithoutPath } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import type { JsonObject } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName } from '../profiles/profile.js';
import { applyTargetFileChangesToSigned } from '../target-files/change.js';
import { parseExpires } from '../tuf/dates.js';
import type { ListedKey } from '../tuf/keys.js';
import type { Metadata } from '../tuf/metadata.js';
import type { RolePolicy } from '../tuf/role.js';
import { parseTargetsSigned, type DelegatedRole, type Targets } from '../tuf/targets.js';
import { checkNestedDelegations } from './delegated-payload.js';
import type { SigningRequest } from './request.js';

/** At most this many targets removed in one request (a review lists each). */
export const REVOKE_TAGS_MAX = 1024;

export interface RevokeTagsPart {
  role: string;
  /** The role's entry in targets.json N+1: this part's policy (keys and threshold). */
  entry: DelegatedRole;
  /** targets.json N+1's delegation key table (where the part's signers are listed). */
  keys: ReadonlyMap<string, ListedKey>;
  /** The role's file N as published (carried in `delegatedFiles`, verified under targets.json N). */
  previous: Metadata<Targets>;
  /** The unsigned `signed` object of the role's file N+1. */
  payload: JsonObject;
  next: Targets;
  /** The targets N lists and N+1 does not, sorted. */
  removed: string[];
  expectedSigners: { keyid: string; name: string; from: 'targets' }[];
  /** canonical(payload): the bytes the delegation's keys sign. */
  payloadBytes: Uint8Array;
  payloadSha256: string;
}

/** What the caller asks for: which role, which targets, until when. */
export interface RevokeTagsChange {
  role: string;
  targets: readonly string[];
  /** The role's file N+1's expiry (default: its current one). */
  expires?: string;
}

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function invalid(message: string, path: string): never {
  throw new CeremonyError('REVOKE_TAGS_INVALID', message, { path });
}

/**
 * The role in targets.json N and N+1: it must still be delegated (a removed delegation's targets go with
 * it) and must lose at least one key (by public key): without that, it is a change of the role's own file
 * alone (targets-request --role), signed by its keys, not by the targets keys.
 */
function roleEntries(role: string, before: Targets, after: Targets, path: string): { entry: DelegatedRole; keys: ReadonlyMap<string, ListedKey> } {
  const old = before.delegations?.roles.find((r) => r.name === role);
  if (!old) throw new CeremonyError('DELEGATION_UNKNOWN', `targets.json version ${before.version} delegates no role ${JSON.stringify(role)}`, { path });
  const entry = after.delegations?.roles.find((r) => r.name === role);
  if (!entry) invalid(`this change removes the delegation ${role}: every target its file lists stops being trusted with it, so there are no tags to revoke`, path);
  const fp = (keys: ReadonlyMap<string, ListedKey> | undefined, id: string) => keys?.get(id)?.key.fingerprint ?? `keyid:${id}`;
  const kept = new Set(entry.keyids.map((id) => fp(after.delegations!.keys, id)));
  if (!old.keyids.some((id) => !kept.has(fp(before.delegations?.keys, id)))) {
    invalid(`this change takes no key away from ${role}: revoke tags with a request for ${role}'s own file, signed by its keys (targets-request --role ${role} --delegated FILE --remove NAME)`, path);
  }
  return { entry, keys: after.delegations!.keys };
}

/** The part's payload against the role's file N: version N+1, an expiry, targets removed — nothing else. */
function checkPayload(profile: ProfileName, role: string, previous: Metadata<Targets>, payload: JsonObject, path: string): { next: Targets; removed: string[] } {
  const p = getProfile(profile);
  const next = parseTargetsSigned(p, payload, path);
  if (next.version !== previous.signed.version + 1) {
    throw new CeremonyError('VERSION_MISMATCH', `the revoke-tags payload is version ${next.version}; after version ${previous.signed.version} it must be ${previous.signed.version + 1}`, { path: `${path}.version` });
  }
  const kept = payload.targets as JsonObject;
  const before = previous.signedJson.targets as JsonObject;
  for (const name of Object.keys(kept)) {
    if (!Object.hasOwn(before, name) || !bytesEqual(p.canonical({ t: kept[name]! }), p.canonical({ t: before[name]! }))) invalid(`the revoke-tags payload adds or changes target ${JSON.stringify(name)}: it may only remove targets`, `${path}.targets`);
  }
  const strip = (o: JsonObject): Uint8Array => p.canonical({ ...o, version: 0, expires: '', targets: {} });
  if (!bytesEqual(strip(previous.signedJson), strip(payload))) invalid(`the revoke-tags payload changes ${previous.source} beyond its version, expiry and the targets it removes`, path);
  // The delegations the file carries (TUF 4.5, nested) are signed again with it, unchanged (the strip above):
  // refused where a client refuses the file, else warned of in the review (checkNestedDelegations).
  checkNestedDelegations(profile, previous.signed, previous.signed, role, `${previous.source} $.signed`, `${previous.source} version ${previous.signed.version}`);
  const removed = Object.keys(before).filter((n) => !Object.hasOwn(kept, n)).sort();
  if (removed.length === 0) invalid('the revoke-tags payload removes no target', `${path}.targets`);
  if (removed.length > REVOKE_TAGS_MAX) invalid(`at most ${REVOKE_TAGS_MAX} targets are revoked in one request (${removed.length} given)`, `${path}.targets`);
  return { next, removed };
}

/** Build the part (pure): the role's file N+1 without `change.targets`, signed by its keys in targets.json N+1. */
export function buildRevokeTagsPart(
  profile: ProfileName,
  previousTargets: Targets,
  nextTargets: Targets,
  previous: Metadata<Targets>,
  change: RevokeTagsChange,
  names: ReadonlyMap<string, string>,
): RevokeTagsPart {
  const { entry, keys } = roleEntries(change.role, previousTargets, nextTargets, '$change.revokeTags.role');
  if (change.targets.length === 0) invalid('name at least one target to revoke', '$change.revokeTags.targets');
  // The current file's own spelling of its expiry is kept when no new one is given.
  const expiresText = change.expires ?? previous.signed.expiresText;
  parseExpires(profile, expiresText, '$change.revokeTags.expires');
  const file = `${change.role}.json`;
  const before: JsonObject = { ...previous.signedJson, version: previous.signed.version + 1, expires: expiresText };
  // TARGET_UNKNOWN for a name the file does not list, with the change's path.
  let payload: JsonObject;
  try {
    payload = applyTargetFileChangesToSigned(profile, before, { remove: [...change.targets] }, file);
  } catch (err) {
    const at = err instanceof CeremonyError ? /^\$change\.targetFiles\.remove(\[\d+\])/.exec(err.path ?? '') : null;
    if (err instanceof CeremonyError && at) throw new CeremonyError(err.code, messageWithoutPath(err), { path: `$change.revokeTags.targets${at[1]}`, cause: err });
    throw err;
  }
  const { next, removed } = checkPayload(profile, change.role, previous, payload, '$change.revokeTags');
  const expectedSigners = entry.keyids.map((keyid, i) => ({ keyid, name: names.get(keyid) ?? `unnamed ${change.role} key ${i + 1}`, from: 'targets' as const }));
  const payloadBytes = getProfile(profile).canonical(payload);
  return { role: change.role, entry, keys, previous, payload, next, removed, expectedSigners, payloadBytes, payloadSha256: sha256Hex(payloadBytes) };
}

/**
 * A parsed request's part, checked as buildRevokeTagsPart builds it: the role's file N is the one the
 * request carries (verified already), the policy is the role's entry in targets.json N+1, the signers its keys.
 */
export function checkRevokeTagsPart(
  profile: ProfileName,
  previousTargets: Targets,
  nextTargets: Targets,
  previous: Metadata<Targets> | undefined,
  doc: { role: string; payload: JsonObject; policy: RolePolicy; expectedSigners: { keyid: string; name: string; from: 'targets' }[] },
): RevokeTagsPart {
  const path = '$.revokeTags';
  const { entry, keys } = roleEntries(doc.role, previousTargets, nextTargets, `${path}.role`);
  if (!previous) invalid(`the request does not carry ${doc.role}'s current file (delegatedFiles), which the revoked tags are removed from`, `${path}.role`);
  const { next, removed } = checkPayload(profile, doc.role, previous, doc.payload, `${path}.payload`);
  const same = doc.policy.threshold === entry.threshold && doc.policy.keyids.length === entry.keyids.length && doc.policy.keyids.every((id, i) => id === entry.keyids[i]);
  if (!same) throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `the revoke-tags policy is not the keys and threshold targets.json version ${nextTargets.version} gives ${doc.role}`, { path: `${path}.policy` });
  const seen = new Set<string>();
  doc.expectedSigners.forEach((s, i) => {
    if (!entry.keyids.includes(s.keyid) || seen.has(s.keyid)) {
      throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `expected signer ${JSON.stringify(s.name)} is not a key of ${doc.role} in targets.json version ${nextTargets.version}, or is listed twice`, { path: `${path}.expectedSigners[${i}]` });
    }
    seen.add(s.keyid);
  });
  const payloadBytes = getProfile(profile).canonical(doc.payload);
  return { role: doc.role, entry, keys, previous, payload: doc.payload, next, removed, expectedSigners: doc.expectedSigners, payloadBytes, payloadSha256: sha256Hex(payloadBytes) };
}

/**
 * The part as a delegated role request of its own (the shape request.ts gives `targets-request --role`):
 * its payload, its signers, the role's entry in targets.json N+1 as the policy. Sign, merge and the review
 * then treat the part exactly as they treat a delegated role's file — one code path, not a second copy.
 * It keeps the request ID of the whole request (a response to either part names it).
 */
export function revokeTagsRequest(request: SigningRequest): SigningRequest {
  const t = request.revokeTags;
  if (!t || !request.targets) throw new CeremonyError('INTERNAL', 'a request without a revoke-tags part');
  const nextTargets = request.targets.next;
  // targets.json N+1 as the delegator: unsigned yet, so only its `signed` content is used (keys, version).
  const delegator: Metadata<Targets> = { ...request.targets.previous, signed: nextTargets, signedJson: request.payload, signatures: [], bytes: request.payloadBytes, source: `targets.json v${nextTargets.version} (this request)` };
  const policy = { keyids: [...t.entry.keyids], threshold: t.entry.threshold };
  return {
    profile: request.profile,
    repository: request.repository,
    role: 'targets',
    payload: t.payload,
    previousRootBytes: request.previousRootBytes,
    policy: { previous: policy, new: { ...policy, keyids: [...policy.keyids] } },
    expectedSigners: t.expectedSigners.map((s) => ({ ...s })),
    requestId: request.requestId,
    previous: request.previous,
    root: request.root,
    keyNames: new Map(),
    targets: { previousBytes: t.previous.bytes, previous: t.previous, next: t.next, keyNames: new Map() },
    delegation: { name: t.role, delegatorBytes: request.payloadBytes, delegator, role: t.entry },
    payloadBytes: t.payloadBytes,
    payloadSha256: t.payloadSha256,
  };
}

/** Which part a key signs: targets.json N+1 when the root's targets role lists it, else the role's file. */
export function partFor(request: SigningRequest, listsKey: (part: SigningRequest) => boolean): SigningRequest {
  if (!request.revokeTags || listsKey(request)) return request;
  const part = revokeTagsRequest(request);
  return listsKey(part) ? part : request;
}
