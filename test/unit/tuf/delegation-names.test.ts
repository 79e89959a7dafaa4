/**
 * One role name at two places in the delegation graph (TUF 5.6.7): a role delegating to itself, a cycle
 * a → b → a, the same name at two levels or under two siblings. Every delegation of the name points at one
 * file, `<name>.json`. verifyRepository must give each shape one answer that does not depend on a target
 * path, and never accept a file a client (tuf-js, python-tuf: preorder depth-first, trusted set by name)
 * would refuse or trust under other keys for some lookup (src/tuf/delegation-names.ts).
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { buildRepo, FAR, keysTable, metaEntry, sign, targetsSigned, type BuiltRepo } from '../../support/repo.js';

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
  const meta: JsonObject = { 'targets.json': metaEntry('tuf', targets, 1) };
  for (const [name, bytes] of delegated) meta[`${name}.json`] = metaEntry('tuf', bytes, 1);
  const common = { version: 1, expires: FAR, spec_version: '1.0.31' };
  const snapshot = await sign('tuf', { _type: 'snapshot', ...common, meta }, r.keys.snapshot);
  const timestamp = await sign('tuf', { _type: 'timestamp', ...common, meta: { 'snapshot.json': metaEntry('tuf', snapshot, 1) } }, r.keys.timestamp);
  return { versionedRoots: new Map(), root: r.roots[0]!, targets, snapshot, timestamp, delegated };
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
