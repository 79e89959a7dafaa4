/**
 * Review warnings for the delegations a targets file carries unchanged into the version being signed
 * (targets.json's own, or a delegate's nested ones, TUF 4.5) when they hold something this tool would not
 * write anew (targets-payload.ts delegationProblems): a threshold its keys cannot meet, a pattern python-tuf
 * and tuf-js read differently, an empty pattern, a hash prefix that matches nothing. Clients accept such a
 * file (targets-payload.ts checkAlteredDelegations names what they check), so it is signed again as it is,
 * and the co-signer reads what clients will make of it. Derived from the request alone (describe.ts), so
 * the proposer and every co-signer read the same lines.
 */
import { shownOrQuoted } from '../json/fields.js';
import type { ProfileName } from '../profiles/profile.js';
import type { DelegatedRole } from '../tuf/targets.js';
import { delegationProblems, sameDelegation, type DelegationProblem } from './targets-payload.js';

/** Up to this many roles get a line each; more (hashed bins, PEP 458) get one line that counts them. */
export const CARRIED_PROBLEMS_SHOWN = 3;
/** Role names a summary line names for each kind of problem. */
const NAMES_PER_GROUP = 3;

/**
 * WARNING lines for the roles `after` lists exactly as `before` does that have problems. `file` is the file
 * signed ("targets.json", "releases.json"); `fix` says how its owner corrects them.
 */
export function carriedDelegationWarnings(profile: ProfileName, before: readonly DelegatedRole[], after: readonly DelegatedRole[], file: string, fix: string): string[] {
  const flawed: { role: DelegatedRole; problems: DelegationProblem[] }[] = [];
  // By name once, not a scan of `before` per role (review-12 M1's pattern: hashed bins list thousands).
  const byName = new Map<string, DelegatedRole>();
  for (const r of before) if (!byName.has(r.name)) byName.set(r.name, r);
  for (const role of after) {
    const old = byName.get(role.name);
    if (!old || !sameDelegation(old, role)) continue;
    const problems = delegationProblems(profile, role, '$');
    if (problems.length > 0) flawed.push({ role, problems });
  }
  const shownFile = shownOrQuoted(file);
  if (flawed.length <= CARRIED_PROBLEMS_SHOWN) {
    return flawed.map(({ role, problems }) => `WARNING: ${shownFile} carries ${shownOrQuoted(role.name)} unchanged, and this version signs it again as it is: ${problems.map((p) => p.warning).join('; ')}. ${fix}`);
  }
  const groups = new Map<string, string[]>();
  for (const { role, problems } of flawed) {
    for (const group of new Set(problems.map((p) => p.group))) {
      // Appended in place: a copy of the list per role was the square of the roles.
      const names = groups.get(group);
      if (names) names.push(role.name);
      else groups.set(group, [role.name]);
    }
  }
  const each = [...groups].map(([group, names]) => {
    const shown = names.slice(0, NAMES_PER_GROUP).map(shownOrQuoted).join(', ') + (names.length > NAMES_PER_GROUP ? ` and ${names.length - NAMES_PER_GROUP} more` : '');
    return `${names.length} with ${group} (${shown})`;
  });
  return [`WARNING: ${shownFile} carries ${flawed.length} roles unchanged, and this version signs them again as they are: ${each.join('; ')}. ${fix}`];
}
