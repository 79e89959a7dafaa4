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
   *
   * "Reached without passing through the name" is "the name does not dominate the delegating role" in the
   * final delegation graph rooted at targets: the dominator tree is built once (review-12 H1: one search
   * of the whole graph per later entry made N entries cost N × (V + E), 678 s at N = 16,000), and each entry
   * is then answered in constant time.
   */
  check(verifiesUnder: (entry: DelegationEntry) => boolean | undefined): void {
    if (this.later.length === 0) return;
    const graph = dominatorTree(this.children, 'targets');
    for (const entry of this.later) {
      const name = entry.role.name;
      if (!graph.reachableAvoiding(entry.parent, name)) continue;
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
}

/** Answers, for a graph and its root, whether a node is reached from the root without passing through another. */
export interface Dominators {
  /**
   * Whether `target` is reached from the root without passing through `avoid` (else `avoid` dominates it:
   * the back edge of a cycle, a self-delegation). False when `target` is `avoid` or is not reached at all;
   * when `avoid` is the root itself, whether `target` is reached (the root is where every walk starts, not
   * a node passed through).
   */
  reachableAvoiding(target: string, avoid: string): boolean;
}

/**
 * The dominator tree of the graph `children` from `root` (Lengauer–Tarjan, "A fast algorithm for finding
 * dominators in a flowgraph", 1979, the simple version with path compression: O(E log V)), numbered by a
 * preorder and postorder walk of the tree so that "a dominates b" is two comparisons. Every walk here keeps
 * its own stack or index-based queue: no recursion (a delegation chain may be as deep as the input allows)
 * and no Array.shift (O(n) per call on V8's large arrays).
 */
export function dominatorTree(children: ReadonlyMap<string, readonly string[]>, root: string): Dominators {
  // Depth-first numbering of the nodes reached from the root: index = DFS preorder number, root = 0.
  const index = new Map<string, number>([[root, 0]]);
  const names: string[] = [root];
  const dfsParent: number[] = [-1];
  const stack: { node: number; next: number }[] = [{ node: 0, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const kids = children.get(names[top.node]!);
    if (!kids || top.next >= kids.length) {
      stack.pop();
      continue;
    }
    const kid = kids[top.next++]!;
    if (index.has(kid)) continue;
    index.set(kid, names.length);
    dfsParent.push(top.node);
    stack.push({ node: names.length, next: 0 });
    names.push(kid);
  }
  const n = names.length;
  // Predecessors among the reached nodes, by index.
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let v = 0; v < n; v++) {
    for (const kid of children.get(names[v]!) ?? []) preds[index.get(kid)!]!.push(v);
  }
  const semi = new Int32Array(n);
  const idom = new Int32Array(n);
  const ancestor = new Int32Array(n).fill(-1);
  const label = new Int32Array(n);
  const bucket: number[][] = Array.from({ length: n }, () => []);
  for (let v = 0; v < n; v++) {
    semi[v] = v;
    label[v] = v;
  }
  const path: number[] = [];
  const evaluate = (v: number): number => {
    if (ancestor[v] === -1) return v;
    // Path compression, iteratively: from the node nearest the forest root down to v.
    for (let x = v; ancestor[ancestor[x]!] !== -1; x = ancestor[x]!) path.push(x);
    while (path.length > 0) {
      const x = path.pop()!;
      const a = ancestor[x]!;
      if (semi[label[a]!]! < semi[label[x]!]!) label[x] = label[a]!;
      ancestor[x] = ancestor[a]!;
    }
    return label[v]!;
  };
  for (let w = n - 1; w > 0; w--) {
    for (const v of preds[w]!) {
      const u = evaluate(v);
      if (semi[u]! < semi[w]!) semi[w] = semi[u]!;
    }
    bucket[semi[w]!]!.push(w);
    const p = dfsParent[w]!;
    ancestor[w] = p;
    for (const v of bucket[p]!) {
      const u = evaluate(v);
      idom[v] = semi[u]! < semi[v]! ? u : p;
    }
    bucket[p]!.length = 0;
  }
  for (let w = 1; w < n; w++) if (idom[w] !== semi[w]) idom[w] = idom[idom[w]!]!;
  // Pre- and postorder numbers of the dominator tree: a dominates b iff pre[a] <= pre[b] and post[b] <= post[a].
  const treeKids: number[][] = Array.from({ length: n }, () => []);
  for (let w = 1; w < n; w++) treeKids[idom[w]!]!.push(w);
  const pre = new Int32Array(n);
  const post = new Int32Array(n);
  let clock = 0;
  const walk: { node: number; next: number }[] = [{ node: 0, next: 0 }];
  pre[0] = clock++;
  while (walk.length > 0) {
    const top = walk[walk.length - 1]!;
    const kids = treeKids[top.node]!;
    if (top.next >= kids.length) {
      post[top.node] = clock++;
      walk.pop();
      continue;
    }
    const kid = kids[top.next++]!;
    pre[kid] = clock++;
    walk.push({ node: kid, next: 0 });
  }
  return {
    reachableAvoiding(target, avoid) {
      if (target === avoid) return false;
      const t = index.get(target);
      if (t === undefined) return false;
      const a = index.get(avoid);
      if (a === undefined || a === 0) return true;
      return !(pre[a]! <= pre[t]! && post[t]! <= post[a]!);
    },
  };
}
