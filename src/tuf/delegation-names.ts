/**
 * One role name delegated more than once in a repository (TUF 5.6.7): by targets.json and again by a
 * delegated file, by two delegated files, by a role to itself, or around a cycle (a → b → a). Every
 * delegation of the name points at the same file, `<name>.json`, so only one of them can be the one the
 * file is verified under.
 *
 * How the reference clients resolve it: tuf-js (updater.js preorderDepthFirstWalk, loadTargets) and
 * python-tuf (ngclient/updater.py _preorder_depth_first_walk with `visited_role_names: Set[str]`,
 * _load_targets "Avoid loading 'role' more than once": commit 74882c5) walk the delegations for ONE
 * target path, depth first in the order they are listed, skip a role already visited in that walk, and
 * keep each loaded role in their trusted set by NAME: the first delegation that reaches the name — in
 * that walk, or in an earlier lookup of the same client — verifies the file; every later one is answered
 * from the trusted set, its keys never consulted. Which delegation is first therefore depends on the path
 * looked up (only delegations whose paths match it are followed) and on the order of lookups.
 *
 * verifyRepository verifies the whole repository once, not one target path, so it follows the clients
 * only where their answer does not depend on the path:
 * - the file is verified under the name's first delegation met breadth first from targets (one a client's
 *   walk can reach first too), and refused with that check's code when it fails;
 * - a later delegation that can never be reached before the name itself — a role delegating to itself, or
 *   the back edge of a cycle (every way from targets to the delegating role passes through the name) —
 *   is never used by a client: it is ignored, as they ignore it;
 * - any other later delegation may be the first a client reaches, for some target path or order of
 *   lookups: the file must verify under it too (the same keys and threshold, or signatures that meet
 *   both). If it does not, one lookup trusts the file under one delegation's keys while another refuses it
 *   (or trusts another signer set): refused, DELEGATION_AMBIGUOUS, with the later entry's path. This is
 *   stricter than needed where paths keep a delegation from ever being followed; it is never more lenient.
 *
 * Older python-tuf ngclients (e.g. commit 018364d) kept visited (role, parent) pairs and verified the
 * file again under each parent: there a self-delegation or back edge with other keys made every lookup
 * that reached it fail, where the current clients (and we) ignore it.
 *
 * Notary follows a delegation only to a direct child (repository.ts), so there a name has one delegator.
 */
import { CeremonyError } from '../errors.js';
import type { ListedKey } from './keys.js';
import type { DelegatedRole } from './targets.js';

/** One delegation entry of a verified role: who delegates, to what, with which keys, and where it is. */
export interface DelegationEntry {
  /** The delegating role: 'targets' or a delegated role's name. */
  parent: string;
  role: DelegatedRole;
  /** The delegating file's keys table. */
  keys: Map<string, ListedKey>;
  /** `<parent>.json $.signed.delegations.roles[i].name` */
  at: string;
}

/**
 * Records the delegations met while walking from targets.json (after the profile's own filter: what a
 * client would follow), and refuses, once every verified role's delegations are known, a name whose later
 * delegation a client could reach first with other keys.
 */
export class DelegationNames {
  private readonly first = new Map<string, DelegationEntry>();
  private readonly later: DelegationEntry[] = [];
  private readonly children = new Map<string, string[]>();

  /** Records `entry`; returns true when it is the first delegation of its name (the one to verify the file under). */
  add(entry: DelegationEntry): boolean {
    const kids = this.children.get(entry.parent);
    if (kids) kids.push(entry.role.name);
    else this.children.set(entry.parent, [entry.role.name]);
    if (this.first.has(entry.role.name)) {
      this.later.push(entry);
      return false;
    }
    this.first.set(entry.role.name, entry);
    return true;
  }

  /**
   * Throws DELEGATION_AMBIGUOUS for the first later delegation (in walk order) a client could reach before
   * the name itself whose keys and threshold the name's file does not meet. `verifiesUnder` says whether
   * the verified file meets an entry, or undefined when the name's file was not verified (absent).
   */
  check(verifiesUnder: (entry: DelegationEntry) => boolean | undefined): void {
    for (const entry of this.later) {
      const name = entry.role.name;
      if (!this.reachableAvoiding(entry.parent, name)) continue;
      if (verifiesUnder(entry) !== false) continue;
      const first = this.first.get(name)!;
      throw new CeremonyError(
        'DELEGATION_AMBIGUOUS',
        `${name}.json is delegated at ${first.at} and again, with keys or a threshold its signatures do not meet, at ${entry.at}: ` +
          'clients (tuf-js, python-tuf) verify it under whichever of the two their walk for a target path reaches first, so whether it is trusted would depend on the target looked up (TUF 5.6.7)',
        { path: entry.at },
      );
    }
  }

  /** Whether `target` is reached from targets.json without passing through `avoid` (else `avoid` dominates it: the back edge of a cycle). */
  private reachableAvoiding(target: string, avoid: string): boolean {
    if (target === avoid) return false;
    const seen = new Set<string>(['targets']);
    const queue = ['targets'];
    while (queue.length > 0) {
      const at = queue.shift()!;
      if (at === target) return true;
      for (const next of this.children.get(at) ?? []) {
        if (next === avoid || seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    return false;
  }
}
