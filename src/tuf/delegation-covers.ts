import { sha256Hex } from '../crypto/digest.js';
import type { ProfileName } from '../profiles/profile.js';
import { pathPatternMatches } from './path-pattern.js';
import type { DelegatedRole, Targets } from './targets.js';

/**
 * Whether the delegation is trusted for `target` (TUF 5.6.7.2; Notary: path prefixes, "" = every path). In
 * src/tuf, not with the rotation code that refuses such targets (TARGET_OUTSIDE_DELEGATION), so `inspect`
 * can count them without loading the rotation modules (issue #18).
 */
export function delegationCovers(profile: ProfileName, role: DelegatedRole, target: string): boolean {
  if (role.pathHashPrefixes) {
    const h = sha256Hex(target);
    return role.pathHashPrefixes.some((prefix) => h.startsWith(prefix));
  }
  const paths = role.paths ?? [];
  return profile === 'notary' ? paths.some((prefix) => target.startsWith(prefix)) : paths.some((pattern) => pathPatternMatches(pattern, target));
}

/**
 * How many of a delegated file's entries the delegation covers, and how many it does not: an entry outside
 * the role's paths is never resolved from this role by any client (TUF 5.6.7.2; tuf-js finds nothing, notary's
 * walk skips it), so it is not one of the role's targets, whatever the file lists (review 15c L5).
 */
export function countCoveredTargets(profile: ProfileName, role: DelegatedRole, targets: Targets): { covered: number; outside: number } {
  let outside = 0;
  for (const name of targets.targets.keys()) if (!delegationCovers(profile, role, name)) outside++;
  return { covered: targets.targets.size - outside, outside };
}
