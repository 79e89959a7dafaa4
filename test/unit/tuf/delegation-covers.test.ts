/**
 * countCoveredTargets (src/tuf/delegation-covers.ts): an entry counts as a role's target only when every
 * delegation on the way to the role covers it (TUF 5.6.7.2 at each step; review 15f L3), and the pattern
 * tests are bounded by a budget shared by the whole inspection (review 15f M2).
 */
import { describe, expect, it } from 'vitest';
import { countCoveredTargets } from '../../../src/tuf/delegation-covers.js';
import type { DelegatedRole, Targets } from '../../../src/tuf/targets.js';

const role = (name: string, paths: string[]): DelegatedRole => ({ name, keyids: [], threshold: 1, terminating: false, paths, unrecognized: {} });
const listing = (names: string[]): Targets => ({ targets: new Map(names.map((n) => [n, {} as never])) }) as unknown as Targets;

describe('countCoveredTargets', () => {
  const files = listing(['releases/a.tgz', 'releases/beta/b.tgz', 'other/c.tgz', 'd.tgz']);

  it.each([
    // [chain of paths, covered, outside]
    [[['*/*']], 2, 2], // "*/*": releases/a.tgz and other/c.tgz (one segment each); not releases/beta/b.tgz, not d.tgz
    [[['releases/*'], ['*/*']], 1, 3], // the parent narrows: only releases/a.tgz reaches the child
    [[['*/*', '*/*/*'], ['releases/*', 'releases/*/*']], 2, 2], // both releases files, through both levels
    [[['releases/*'], ['other/*']], 0, 4], // disjoint: nothing reaches it
  ] as const)('TUF chain %j: %i covered, %i outside', (paths, covered, outside) => {
    const chain = paths.map((p, i) => role(`r${i}`, [...p]));
    expect(countCoveredTargets('tuf', chain, files, { left: 1000 })).toEqual({ covered, outside });
  });

  it('Notary prefixes along the chain', () => {
    const chain = [role('targets/releases', ['releases/']), role('targets/releases/beta', ['releases/beta/'])];
    expect(countCoveredTargets('notary', chain, files, { left: 1000 })).toEqual({ covered: 1, outside: 3 });
  });

  it('spends entries × patterns from the budget, and counts nothing past it', () => {
    const chain = [role('a', ['x/*', 'y/*']), role('b', ['x/*'])];
    const budget = { left: 12 }; // 4 entries × 3 patterns
    expect(countCoveredTargets('tuf', chain, files, budget)).toEqual({ covered: 0, outside: 4 });
    expect(budget.left).toBe(0);
    expect(countCoveredTargets('tuf', chain, files, budget)).toBeUndefined();
    expect(countCoveredTargets('tuf', chain, files, { left: 11 })).toBeUndefined();
  });
});
