/**
 * Review warnings and re-checks for the delegations a targets file carries, at hashed-bins scale: each role
 * is matched with its previous version by name through a map, and each problem group's names are appended
 * in place (review-12 M1's pattern: a scan of the previous roles per role, and a copy of a group's list per
 * role, were the square of the roles). Results only, never timings.
 */
import { describe, expect, it } from 'vitest';
import { carriedDelegationWarnings } from '../../../src/rotation/carried-delegations.js';
import { checkAlteredDelegations } from '../../../src/rotation/targets-payload.js';
import type { DelegatedRole } from '../../../src/tuf/targets.js';

const N = 30_000;
const KEY = 'a'.repeat(64);
/** A threshold of 2 over one key: clients accept it, and no client will ever verify the role. */
const role = (i: number, threshold = 2): DelegatedRole => ({ name: `bin-${i}`, keyids: [KEY], threshold, terminating: false, paths: [`bins/${i}/*`], unrecognized: {} });

describe('carried delegations at 30,000 roles', () => {
  it('all carried unchanged with one problem: one summary line naming three and counting the rest', () => {
    const before = Array.from({ length: N }, (_, i) => role(i));
    // Listed in the other order, as a re-sorted file would: each is found by name, not by position.
    const after = [...before].reverse();
    const lines = carriedDelegationWarnings('tuf', before, after, 'targets.json', 'Fix it.');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`carries ${N} roles unchanged`);
    expect(lines[0]).toContain(`${N} with a threshold above their keys (no client will ever verify them) (bin-${N - 1}, bin-${N - 2}, bin-${N - 3} and ${N - 3} more)`);
  });

  it('checkAlteredDelegations: carried unchanged passes; the one altered role is re-checked and refused at its own index', () => {
    const before = Array.from({ length: N }, (_, i) => role(i));
    expect(() => checkAlteredDelegations('tuf', before, before, '$.payload', 'targets.json version 1')).not.toThrow();
    const after = [...before];
    after[N - 5] = { ...role(N - 5), paths: ['other/*'] };
    expect(() => checkAlteredDelegations('tuf', before, after, '$.payload', 'targets.json version 1')).toThrow(
      expect.objectContaining({ code: 'THRESHOLD_INVALID', path: expect.stringContaining(`$.payload.delegations.roles[${N - 5}]`) as unknown }),
    );
  });
});
