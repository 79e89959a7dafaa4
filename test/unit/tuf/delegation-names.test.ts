/**
 * One role name at two places in the delegation graph (TUF 5.6.7): a role delegating to itself, a cycle
 * a → b → a, the same name at two levels or under two siblings. Every delegation of the name points at one
 * file, `<name>.json`. verifyRepository must give each shape one answer that does not depend on a target
 * path, and never accept a file a client (tuf-js, python-tuf: preorder depth-first, trusted set by name)
 * would refuse or trust under other keys for some lookup (src/tuf/delegation-names.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { DelegationNames, type DelegationEntry } from '../../../src/tuf/delegation-names.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import type { DelegatedRole } from '../../../src/tuf/targets.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { completed } from '../../support/delegation-shapes.js';
import { buildRepo, keysTable, sign, targetsSigned, type BuiltRepo } from '../../support/repo.js';

type KeyName = 'k1' | 'k2' | 'k3' | 'k4';
/** A delegation: role name → its keys (threshold 1, paths "*"). */
type Delegates = [name: string, keys: KeyName[]][];
interface Shape {
  shape: string;
  targets: Delegates;
  /** Each delegated file: what it delegates and who signs it. */
  files: Record<string, { delegates?: Delegates; signedBy: KeyName[] }>;
  /** The delegating role of each verified role, or the refusal. */
  outcome: { verified: Record<string, string> } | { code: string; path: string };
}

const SHAPES: Shape[] = [
  {
    shape: 'baseline: targets → a',
    targets: [['a', ['k1']]],
    files: { a: { signedBy: ['k1'] } },
    outcome: { verified: { a: 'targets' } },
  },
  {
    shape: 'self-delegation a → a with other keys: ignored (a client has a in its trusted set, visited, before the entry is read)',
    targets: [['a', ['k1']]],
    files: { a: { delegates: [['a', ['k2']]], signedBy: ['k1'] } },
    outcome: { verified: { a: 'targets' } },
  },
  {
    shape: 'self-delegation, a.json signed only by the self-entry’s key: refused under its one reachable delegation',
    targets: [['a', ['k1']]],
    files: { a: { delegates: [['a', ['k2']]], signedBy: ['k2'] } },
    outcome: { code: 'THRESHOLD_NOT_MET', path: 'a.json $.signatures' },
  },
  {
    shape: 'cycle a → b → a: the back edge is ignored (b is reached only through a)',
    targets: [['a', ['k1']]],
    files: { a: { delegates: [['b', ['k2']]], signedBy: ['k1'] }, b: { delegates: [['a', ['k3']]], signedBy: ['k2'] } },
    outcome: { verified: { a: 'targets', b: 'a' } },
  },
  {
    shape: 'cycle a → b → a, a.json signed only by the back edge’s key: refused, never verified under the back edge',
    targets: [['a', ['k1']]],
    files: { a: { delegates: [['b', ['k2']]], signedBy: ['k3'] }, b: { delegates: [['a', ['k3']]], signedBy: ['k2'] } },
    outcome: { code: 'THRESHOLD_NOT_MET', path: 'a.json $.signatures' },
  },
  {
    shape: 'cycle a → b → a that targets also enters at b: a lookup through b reaches a first under b’s keys',
    targets: [['a', ['k1']], ['b', ['k2']]],
    files: { a: { delegates: [['b', ['k2']]], signedBy: ['k1'] }, b: { delegates: [['a', ['k3']]], signedBy: ['k2'] } },
    outcome: { code: 'DELEGATION_AMBIGUOUS', path: 'b.json $.signed.delegations.roles[0].name' },
  },
  {
    shape: 'same name at two levels (targets → a, targets → b → a), other keys, a.json meets only targets’ entry',
    targets: [['a', ['k1']], ['b', ['k2']]],
    files: { a: { signedBy: ['k1'] }, b: { delegates: [['a', ['k3']]], signedBy: ['k2'] } },
    outcome: { code: 'DELEGATION_AMBIGUOUS', path: 'b.json $.signed.delegations.roles[0].name' },
  },
  {
    shape: 'same name at two levels, b listed first in targets: the same refusal at the same entry',
    targets: [['b', ['k2']], ['a', ['k1']]],
    files: { a: { signedBy: ['k1'] }, b: { delegates: [['a', ['k3']]], signedBy: ['k2'] } },
    outcome: { code: 'DELEGATION_AMBIGUOUS', path: 'b.json $.signed.delegations.roles[0].name' },
  },
  {
    shape: 'same name at two levels, a.json meets only the nested entry: refused under its first delegation (targets’)',
    targets: [['a', ['k1']], ['b', ['k2']]],
    files: { a: { signedBy: ['k3'] }, b: { delegates: [['a', ['k3']]], signedBy: ['k2'] } },
    outcome: { code: 'THRESHOLD_NOT_MET', path: 'a.json $.signatures' },
  },
  {
    shape: 'same name at two levels, a.json signed to meet both entries: every client walk trusts it, whichever comes first',
    targets: [['a', ['k1']], ['b', ['k2']]],
    files: { a: { signedBy: ['k1', 'k3'] }, b: { delegates: [['a', ['k3']]], signedBy: ['k2'] } },
    outcome: { verified: { a: 'targets', b: 'targets' } },
  },
  {
    shape: 'same name at two levels with the same key and threshold: accepted',
    targets: [['a', ['k1']], ['b', ['k2']]],
    files: { a: { signedBy: ['k1'] }, b: { delegates: [['a', ['k1']]], signedBy: ['k2'] } },
    outcome: { verified: { a: 'targets', b: 'targets' } },
  },
  {
    shape: 'same name under two siblings (b → a, c → a), other keys',
    targets: [['b', ['k2']], ['c', ['k4']]],
    files: { a: { signedBy: ['k1'] }, b: { delegates: [['a', ['k1']]], signedBy: ['k2'] }, c: { delegates: [['a', ['k3']]], signedBy: ['k4'] } },
    outcome: { code: 'DELEGATION_AMBIGUOUS', path: 'c.json $.signed.delegations.roles[0].name' },
  },
];

function delegations(d: Delegates, key: Record<KeyName, TestKey>): JsonObject {
  const used = [...new Set(d.flatMap(([, ks]) => ks))].map((k) => key[k]);
  return { keys: keysTable(used), roles: d.map(([name, ks]) => ({ name, keyids: ks.map((k) => key[k].keyId), threshold: 1, terminating: false, paths: ['*'] })) };
}

async function build(r: BuiltRepo, key: Record<KeyName, TestKey>, s: Shape): Promise<Parameters<typeof verifyRepository>[0]> {
  const withDelegations = (d: Delegates | undefined): JsonObject => ({ ...targetsSigned('tuf', 1, {}), ...(d ? { delegations: delegations(d, key) } : {}) });
  const targets = await sign('tuf', withDelegations(s.targets), r.keys.targets);
  const delegated = new Map<string, Uint8Array>();
  for (const [name, f] of Object.entries(s.files)) delegated.set(name, await sign('tuf', withDelegations(f.delegates), f.signedBy.map((k) => key[k])));
  return completed(r, targets, delegated);
}

describe('one role name delegated at two places (TUF 5.6.7): each shape gives one answer', () => {
  it.each(SHAPES)('$shape', async (s) => {
    const r = await buildRepo('tuf');
    const [k1, k2, k3, k4] = await Promise.all([1, 2, 3, 4].map(() => makeKey('tuf', 'ed25519')));
    const files = await build(r, { k1: k1!, k2: k2!, k3: k3!, k4: k4! }, s);
    let got: Shape['outcome'];
    try {
      const repo = verifyRepository(files, { trustedRoot: r.roots[0]!, now: new Date(), requireComplete: true });
      got = { verified: Object.fromEntries([...repo.delegated].map(([name, v]) => [name, v.delegatedBy])) };
    } catch (err) {
      if (!(err instanceof CeremonyError)) throw err;
      got = { code: err.code, path: err.path ?? '' };
    }
    expect(got).toEqual(s.outcome);
  });

  it('the refusal names both entries and why a client’s answer would depend on the target looked up', async () => {
    const r = await buildRepo('tuf');
    const [k1, k2, k3, k4] = await Promise.all([1, 2, 3, 4].map(() => makeKey('tuf', 'ed25519')));
    const files = await build(r, { k1: k1!, k2: k2!, k3: k3!, k4: k4! }, SHAPES.find((s) => s.shape.startsWith('same name at two levels (targets'))!);
    expect(() => verifyRepository(files, { trustedRoot: r.roots[0]!, now: new Date(), requireComplete: true })).toThrow(
      'a.json is delegated at targets.json $.signed.delegations.roles[0].name and again, with keys or a threshold its signatures do not meet, at b.json $.signed.delegations.roles[0].name',
    );
  });
});

/**
 * Review-12 H1: DelegationNames.check searched the whole delegation graph once per later entry (N later
 * entries behind N names cost N × (V + E), 17 s at N = 8,000). The shape at that size must give the
 * right answer; its cost is timed in bench/hostile.ts, not here.
 */
describe('many later delegations (review-12 H1 shape): targets → r; r delegates a0…a(N−1) then r2; r2 delegates a0…a(N−1) again', () => {
  const N = 8000;
  const names = Array.from({ length: N }, (_, i) => `a${i}`);
  const last = names[N - 1]!;
  const shape = (r2KeyForLast: KeyName): Shape => ({
    shape: 'H1',
    targets: [['r', ['k2']]],
    files: {
      r: { delegates: [...names.map((n): [string, KeyName[]] => [n, ['k1']]), ['r2', ['k4']]], signedBy: ['k2'] },
      r2: { delegates: names.map((n): [string, KeyName[]] => [n, [n === last ? r2KeyForLast : 'k1']]), signedBy: ['k4'] },
      [last]: { signedBy: ['k1'] },
    },
    outcome: { verified: {} },
  });

  it.each([
    ['the same keys again: accepted, every name under its first delegation (r’s)', 'k1' as KeyName, undefined],
    ['r2 names the last one with other keys its file does not meet: refused at that entry', 'k3' as KeyName, `r2.json $.signed.delegations.roles[${N - 1}].name`],
  ])('%s', { timeout: 60_000 }, async (_, key, refusedAt) => {
    const r = await buildRepo('tuf');
    const [k1, k2, k3, k4] = await Promise.all([1, 2, 3, 4].map(() => makeKey('tuf', 'ed25519')));
    const files = await build(r, { k1: k1!, k2: k2!, k3: k3!, k4: k4! }, shape(key));
    const run = () => verifyRepository(files, { trustedRoot: r.roots[0]!, now: new Date(), requireComplete: true });
    if (refusedAt) {
      expect(run).toThrow(expect.objectContaining({ code: 'DELEGATION_AMBIGUOUS', path: refusedAt }) as Error);
      return;
    }
    const repo = run();
    expect(Object.fromEntries([...repo.delegated].map(([name, v]) => [name, v.delegatedBy]))).toEqual({ r: 'targets', r2: 'r', [last]: 'r' });
    expect(repo.absent).toHaveLength(N - 1);
  });
});

/**
 * The reference answer: DelegationNames.check as it was before review-12 (one breadth-first search from
 * targets per later entry, skipping the name), kept here to pin the dominator tree's answer to it.
 */
function referenceAsked(entries: readonly { parent: string; name: string }[]): number[] {
  const children = new Map<string, string[]>();
  const first = new Set<string>();
  const later: number[] = [];
  entries.forEach((e, i) => {
    children.set(e.parent, [...(children.get(e.parent) ?? []), e.name]);
    if (first.has(e.name)) later.push(i);
    else first.add(e.name);
  });
  const reachableAvoiding = (target: string, avoid: string): boolean => {
    if (target === avoid) return false;
    const seen = new Set<string>(['targets']);
    const queue = ['targets'];
    while (queue.length > 0) {
      const at = queue.shift()!;
      if (at === target) return true;
      for (const next of children.get(at) ?? []) {
        if (next === avoid || seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    return false;
  };
  return later.filter((i) => reachableAvoiding(entries[i]!.parent, entries[i]!.name));
}

describe('DelegationNames.check asks about exactly the later entries the reference search reaches', () => {
  const asked = (entries: readonly { parent: string; name: string }[]): number[] => {
    const names = new DelegationNames();
    const index = new Map<DelegationEntry, number>();
    entries.forEach((e, i) => {
      const entry: DelegationEntry = { parent: e.parent, role: { name: e.name } as DelegatedRole, keys: new Map(), at: `${i}` };
      index.set(entry, i);
      names.add(entry);
    });
    const out: number[] = [];
    names.check((entry) => {
      out.push(index.get(entry)!);
      return undefined;
    });
    return out;
  };

  it('on random graphs of up to 12 names (self-delegations, cycles, unreached parents, “targets” as a child)', () => {
    const node = fc.integer({ min: 0, max: 12 }).map((i) => (i === 12 ? 'targets' : `n${i}`));
    const parent = fc.oneof(fc.constant('targets'), node);
    fc.assert(
      fc.property(fc.array(fc.record({ parent, name: node }), { maxLength: 60 }), (entries) => {
        expect(asked(entries)).toEqual(referenceAsked(entries));
      }),
      { seed: 1207, numRuns: 3000 },
    );
  });

  it('on random graphs as a walk from targets records them (each parent’s entries together, distinct names per parent)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.array(fc.integer({ min: 0, max: 29 }), { maxLength: 6 }), { minLength: 31, maxLength: 31 }), (n, lists) => {
        // Node k delegates the distinct names lists[k] (mod n); walk breadth first from targets (= list 30).
        const entries: { parent: string; name: string }[] = [];
        const name = (k: number) => `n${k % n}`;
        const queue = ['targets'];
        const seen = new Set(queue);
        for (let head = 0; head < queue.length; head++) {
          const at = queue[head]!;
          const list = at === 'targets' ? lists[30]! : lists[Number(at.slice(1))]!;
          for (const kid of new Set(list.map(name))) {
            entries.push({ parent: at, name: kid });
            if (!seen.has(kid)) {
              seen.add(kid);
              queue.push(kid);
            }
          }
        }
        expect(asked(entries)).toEqual(referenceAsked(entries));
      }),
      { seed: 712, numRuns: 3000 },
    );
  });
});
