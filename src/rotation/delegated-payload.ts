/**
 * Changes to a delegated role's own file (issues #14 and #15): the unsigned `signed` object of
 * `targets/releases.json` (Notary) or `releases.json` (TUF) version N+1, signed by the DELEGATE's keys —
 * the keys and threshold targets.json lists for that role — through the same request → co-sign → merge
 * flow as targets.json itself (src/rotation/request.ts, "delegated role requests"):
 *
 * - renewal: the same targets, only a later `expires` (a delegate's file expires like any role's);
 * - target files added, updated or removed (src/target-files/change.ts: lengths and hashes from the bytes,
 *   custom data kept on update), each inside the paths the delegation is trusted for — a target outside
 *   them is one no client would ever accept from this role (TUF 5.6.7.2), so it is refused here
 *   (TARGET_OUTSIDE_DELEGATION) instead of being signed and silently ignored.
 *
 * Checked first, as a client checks them: the trusted root signs itself; targets.json N verifies under
 * its targets role (TUF 5.6.3); it delegates `name` directly (one level: the delegations this tool signs);
 * the delegated file N verifies under that delegation's keys and threshold (TUF 5.6.7). Version N+1
 * exactly; a renewal must move the expiry forward.
 */
import { createHash } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import type { JsonObject } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { bytesEqual } from '../crypto/digest.js';
import { applyTargetFileChangesToSigned, type TargetFileChanges } from '../target-files/change.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { formatExpires, parseExpires } from '../tuf/dates.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import type { Root } from '../tuf/root.js';
import { pathPatternMatches } from '../tuf/path-pattern.js';
import { parseTargetsSigned, type DelegatedRole, type Targets } from '../tuf/targets.js';
import { requireVerified, verifyRole } from '../tuf/verify.js';
import { verifiedCurrentTargets } from './targets-payload.js';

export interface DelegatedChange {
  /** The delegated file N+1's expiry. */
  expires: Date | string;
  files?: TargetFileChanges;
}

export interface DelegatedPayload {
  profile: ProfileName;
  /** The trusted root (targets.json verifies under it). */
  root: Metadata<Root>;
  /** targets.json N as published (verified), which delegates the role: its entry is the policy. */
  delegator: Metadata<Targets>;
  /** The delegation's entry in targets.json (keys, threshold, paths). */
  role: DelegatedRole;
  /** The delegated file N, verified under `role`. */
  previous: Metadata<Targets>;
  /** The unsigned `signed` object of version N+1. */
  signed: JsonObject;
  targets: Targets;
}

/** The delegated file N, verified as a client verifies it: root → targets.json → this delegation (TUF 5.6.7). */
export function verifiedDelegated(
  rootBytes: Uint8Array,
  targetsBytes: Uint8Array,
  delegatedBytes: Uint8Array,
  name: string,
): { root: Metadata<Root>; delegator: Metadata<Targets>; role: DelegatedRole; previous: Metadata<Targets> } {
  const { root, previous: delegator } = verifiedCurrentTargets(rootBytes, targetsBytes);
  const role = delegator.signed.delegations?.roles.find((r) => r.name === name);
  if (!role) {
    const names = delegator.signed.delegations?.roles.map((r) => r.name).join(', ') || 'none';
    throw new CeremonyError('DELEGATION_UNKNOWN', `targets.json version ${delegator.signed.version} delegates no role ${JSON.stringify(name)} (it delegates ${names})`, { path: '$.delegation' });
  }
  const previous = parseMetadata(delegatedBytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: `${name}.json`, profile: root.profile.name });
  requireVerified(verifyRole(previous, name, role, delegator.signed.delegations!.keys), `${name}.json`);
  return { root, delegator, role, previous };
}

/** Whether the delegation is trusted for `target` (TUF 5.6.7.2; Notary: path prefixes, "" = every path). */
export function delegationCovers(profile: ProfileName, role: DelegatedRole, target: string): boolean {
  if (role.pathHashPrefixes) {
    const h = createHash('sha256').update(target, 'utf8').digest('hex');
    return role.pathHashPrefixes.some((prefix) => h.startsWith(prefix));
  }
  const paths = role.paths ?? [];
  return profile === 'notary' ? paths.some((prefix) => target.startsWith(prefix)) : paths.some((pattern) => pathPatternMatches(pattern, target));
}

/** Build the delegated file N+1 (pure). Refusals carry the change set's path (`$change…`). */
export function buildDelegatedPayload(rootBytes: Uint8Array, targetsBytes: Uint8Array, delegatedBytes: Uint8Array, name: string, change: DelegatedChange): DelegatedPayload {
  const { root, delegator, role, previous } = verifiedDelegated(rootBytes, targetsBytes, delegatedBytes, name);
  const profile = root.profile;
  const expiresText = typeof change.expires === 'string' ? change.expires : formatExpires(change.expires);
  const expires = parseExpires(profile.name, expiresText, '$change.expires');
  const file = `${name}.json`;
  const before: JsonObject = { ...previous.signedJson, version: previous.signed.version + 1, expires: expiresText };
  const files = change.files ?? {};
  const signed = applyTargetFileChangesToSigned(profile.name, before, files, file);
  for (const [list, entries] of [['add', files.add ?? []], ['update', files.update ?? []]] as const) {
    entries.forEach((f, i) => {
      if (!delegationCovers(profile.name, role, f.name)) {
        const trusted = role.pathHashPrefixes ? `path hash prefixes ${role.pathHashPrefixes.join(', ')}` : `paths ${(role.paths ?? []).map((p) => JSON.stringify(p)).join(', ')}`;
        throw new CeremonyError('TARGET_OUTSIDE_DELEGATION', `${name} is trusted only for ${trusted} (targets.json version ${delegator.signed.version}): clients would ignore ${JSON.stringify(f.name)} in ${file}`, { path: `$change.targetFiles.${list}[${i}]` });
      }
    });
  }
  const targets = parseTargetsSigned(profile, signed, '$payload');
  // Nothing but the version and expiry: a renewal, which must renew (TUF 5.6.7.3: clients refuse an expired file).
  const strip = (o: JsonObject) => profile.canonical({ ...o, version: 0, expires: '' });
  if (bytesEqual(strip(previous.signedJson), strip(signed)) && expires.getTime() <= previous.signed.expires.getTime()) {
    throw new CeremonyError('ROTATION_CHANGE_INVALID', `a renewal must move ${file}'s expiry forward: version ${previous.signed.version} expires ${previous.signed.expiresText}, the change says ${expiresText}`, { path: '$change.expires' });
  }
  return { profile: profile.name, root, delegator, role, previous, signed, targets };
}
