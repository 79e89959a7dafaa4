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
 * exactly; a renewal must move the expiry forward. The delegations file N carries itself (nested, TUF 4.5)
 * go into N+1 unchanged: refused only where a client refuses the file, else warned of (checkNestedDelegations).
 */
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
import { child } from '../json/fields.js';
import { parseTargetsSigned, type DelegatedRole, type Targets } from '../tuf/targets.js';
import { requireVerified, verifyRole } from '../tuf/verify.js';
import type { SignatureWork } from '../tuf/signature-work.js';
import { checkAlteredDelegations, checkDelegationName, verifiedCurrentTargets } from './targets-payload.js';
import { delegationCovers } from '../tuf/delegation-covers.js';

// Moved to src/tuf (inspect counts what it covers too); still exported here for the rotation code's callers.
export { delegationCovers };

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

/**
 * The delegated file N, verified as a client verifies it: root → targets.json → this delegation (TUF 5.6.7);
 * every check charged to `work` when given (a signing request's: request.ts).
 */
export function verifiedDelegated(
  rootBytes: Uint8Array,
  targetsBytes: Uint8Array,
  delegatedBytes: Uint8Array,
  name: string,
  work?: SignatureWork,
): { root: Metadata<Root>; delegator: Metadata<Targets>; role: DelegatedRole; previous: Metadata<Targets> } {
  const { root, previous: delegator } = verifiedCurrentTargets(rootBytes, targetsBytes, work);
  const role = delegator.signed.delegations?.roles.find((r) => r.name === name);
  if (!role) {
    const names = delegator.signed.delegations?.roles.map((r) => r.name).join(', ') || 'none';
    throw new CeremonyError('DELEGATION_UNKNOWN', `targets.json version ${delegator.signed.version} delegates no role ${JSON.stringify(name)} (it delegates ${names})`, { path: '$.delegation' });
  }
  const previous = parseMetadata(delegatedBytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: `${name}.json`, profile: root.profile.name });
  requireVerified(verifyRole(previous, name, role, delegator.signed.delegations!.keys, work ? { work } : {}), `${name}.json`);
  return { root, delegator, role, previous };
}

/**
 * Whether every target `inner` is trusted for is one `outer` is trusted for too — shown, not guessed: false
 * when this cannot be told (paths against hash prefixes, patterns this does not compare). A client follows a
 * delegate's nested role only for a target the delegate itself was matched for (TUF 5.6.7.2, the walk goes
 * through the delegate; Notary tuf/data/roles.go Restrict keeps a child's paths under its parent's), so a
 * nested role given more gains nothing outside: the review says so (describe.ts) rather than refusing, as
 * clients accept such a file and the part inside is trusted as written.
 */
export function delegationWithin(profile: ProfileName, inner: DelegatedRole, outer: DelegatedRole): boolean {
  if (inner.pathHashPrefixes || outer.pathHashPrefixes) {
    // A target whose hash starts with h starts with g when h does.
    return !!inner.pathHashPrefixes && !!outer.pathHashPrefixes && inner.pathHashPrefixes.every((h) => outer.pathHashPrefixes!.some((g) => h.startsWith(g)));
  }
  const outerPaths = outer.paths ?? [];
  if (profile === 'notary') return (inner.paths ?? []).every((p) => outerPaths.some((q) => p.startsWith(q)));
  return (inner.paths ?? []).every((p) => outerPaths.some((q) => patternWithin(p, q)));
}

/**
 * TUF: every target pattern `p` matches is matched by `q` (path-pattern.ts: one segment against one): the
 * same segment, or `q`'s segment is a literal L then `*` and `p`'s starts with L — also, when L is empty,
 * with a literal other than "." (minimatch's `*` takes no leading dot or empty segment).
 */
function patternWithin(p: string, q: string): boolean {
  if (!/[*?[]/.test(p)) return pathPatternMatches(q, p);
  const ps = p.split('/');
  const qs = q.split('/');
  return (
    ps.length === qs.length &&
    ps.every((seg, i) => {
      const outer = qs[i]!;
      if (seg === outer) return true;
      const lit = outer.slice(0, -1);
      if (!outer.endsWith('*') || /[*?[]/.test(lit) || !seg.startsWith(lit)) return false;
      return lit !== '' || /^[^*?[.]/.test(seg);
    })
  );
}

/**
 * The delegations a delegate's file carries (TUF 4.5: a delegated targets role may delegate further) are
 * signed again by the delegate's keys with each version this tool makes (`next`, from the file N
 * `previous`): they get the checks targets.json's delegations get (targets-payload.ts) — same codes, paths
 * into the file (`at`: "releases.json $.signed", or a request's "$.payload"). `name` is the delegate.
 * - Every name (checkDelegationName): in Notary a role that is not a direct child of the delegate makes the
 *   client refuse the whole file (notary tuf/data/targets.go isValidTargetsStructure), so signing it again
 *   breaks the file for every client: refused even when carried.
 * - A role added or altered against N (a hand-made request; this tool's changes never edit them):
 *   checkReviewedDelegation, refused.
 * - A role carried unchanged whose threshold its keys cannot meet, or whose patterns or hash prefixes are
 *   ones this tool would not write: signed again as it is, and the review warns (carried-delegations.ts).
 *   python-tuf, tuf-js and notary accept such a file (targets-payload.ts checkAlteredDelegations); this
 *   tool cannot edit nested delegations, so refusing would only let the delegate's file expire, and every
 *   target under it with it.
 */
export function checkNestedDelegations(profile: ProfileName, previous: Targets, next: Targets, name: string, at: string, where: string): void {
  const roles = next.delegations?.roles ?? [];
  roles.forEach((r, i) => checkDelegationName(profile, r.name, child(`${at}.delegations.roles[${i}]`, 'name'), name));
  checkAlteredDelegations(profile, previous.delegations?.roles ?? [], roles, at, where);
}

/** Build the delegated file N+1 (pure). Refusals carry the change set's path (`$change…`). */
export function buildDelegatedPayload(rootBytes: Uint8Array, targetsBytes: Uint8Array, delegatedBytes: Uint8Array, name: string, change: DelegatedChange): DelegatedPayload {
  const { root, delegator, role, previous } = verifiedDelegated(rootBytes, targetsBytes, delegatedBytes, name);
  const profile = root.profile;
  const expiresText = typeof change.expires === 'string' ? change.expires : formatExpires(change.expires);
  const expires = parseExpires(profile.name, expiresText, '$change.expires');
  const file = `${name}.json`;
  // N+1 carries N's nested delegations as they are: a Notary non-child is refused before anyone signs; the
  // rest are carried, and the review warns of what clients will make of them (checkNestedDelegations).
  checkNestedDelegations(profile.name, previous.signed, previous.signed, name, `${file} $.signed`, `${file} version ${previous.signed.version}`);
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
