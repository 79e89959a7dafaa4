/**
 * `inspect` does no more signature work than `verify` may (review-13b H1): one SignatureWork is charged by
 * the verdict and the view together, the view checks nothing once it has run out (each role says why), and
 * a verified repository is shown with the verdict's results rather than verified a second time. Checks are
 * counted by spying on the profile's `verify`, one call per check (test/unit/tuf/signature-work.test.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { repositoryFileNames } from '../../../src/bundle/export.js';
import { renderInspection } from '../../../src/cli/inspect.js';
import { inspectNamedFiles } from '../../../src/inspect/inspect.js';
import type { Inspection } from '../../../src/inspect/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { verifyRepository, type RepositoryFiles } from '../../../src/tuf/repository.js';
import { DEFAULT_SIGNATURE_WORK } from '../../../src/tuf/signature-work.js';
import { manyKeysShape, twoLevelShape } from '../../support/delegation-shapes.js';
import { buildRepo } from '../../support/repo.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const tuf = getProfile('tuf');

/** How many signature checks `run` makes. */
function checksMadeBy(run: () => unknown): number {
  const spy = vi.spyOn(tuf, 'verify');
  try {
    run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

function verifyChecks(files: RepositoryFiles, trustedRoot: Uint8Array): number {
  return checksMadeBy(() => verifyRepository(files, { trustedRoot, now: new Date() }));
}

const role = (ins: Inspection, name: string) => ins.roles.find((r) => r.name === name)!;

describe('inspect shares one signature-work limit between the verdict and the view (review-13b H1)', () => {
  it('a verdict refused for too much work: the view checks no signature, and every role says so', async () => {
    // 12 keys, each with a signature over another message in a.json: the verdict makes the root's 2
    // checks, one each for timestamp, snapshot and targets, then a.json's until the limit of 8.
    const { files } = await manyKeysShape(12, 4096);
    const signatureWork = { checks: 8, bytes: DEFAULT_SIGNATURE_WORK.bytes };
    let ins: Inspection | undefined;
    // Before, the view then made 2 + 1 + 1 + 1 + 12 more, uncharged: 25 in all.
    expect(checksMadeBy(() => (ins = inspectNamedFiles({ files: repositoryFileNames(files), directory: true, source: 'heavy', signatureWork })))).toBe(8);
    expect(ins!.verified).toMatchObject({ ok: false, error: { code: 'SIGNATURE_WORK_EXCEEDED', path: 'a.json $.signatures' } });
    const json = JSON.parse(JSON.stringify(ins)) as Inspection;
    expect(json.roles.map((r) => r.name)).toEqual(['root', 'targets', 'snapshot', 'timestamp', 'a']);
    for (const r of json.roles) {
      expect(r.signaturesNotChecked).toMatch(/^over the signature-work limit: /);
      expect(r).not.toHaveProperty('signedBy');
      expect(r).not.toHaveProperty('thresholdMet');
    }
    // What any refused input shows is still shown: versions, expiry, thresholds, keys, target counts.
    expect(role(json, 'a')).toMatchObject({ kind: 'delegation', delegatedBy: 'targets', threshold: 1, version: 1, expired: false, targetCount: 1 });
    expect(role(json, 'a').keyIds).toHaveLength(12);
    expect(json.keys).toHaveLength(3 + 3 + 12);
    expect(renderInspection(ins!)).toMatch(/ a \(delegated by targets\), threshold 1 of 12, version 1, .*signatures not checked: over the signature-work limit/);
  });

  it('the work runs out during the view: that refusal is listed, and the roles after it are not checked', async () => {
    // Default limits: the verdict makes 5 + 12 checks and is refused for a's threshold (no key signed a.json).
    const { files } = await manyKeysShape(12);
    const named = repositoryFileNames(files);
    expect(checksMadeBy(() => inspectNamedFiles({ files: named, directory: true, source: 'heavy' }))).toBe(17 + 17);
    // A limit of 20 leaves the view 3 checks: the root's 2 and timestamp's or targets' 1, in root's role order.
    let ins: Inspection | undefined;
    expect(checksMadeBy(() => (ins = inspectNamedFiles({ files: named, directory: true, source: 'heavy', signatureWork: { checks: 20, bytes: DEFAULT_SIGNATURE_WORK.bytes } })))).toBe(20);
    expect(ins!.verified).toMatchObject({ ok: false, error: { code: 'THRESHOLD_NOT_MET' } });
    expect(ins!.problems.filter((p) => p.code === 'SIGNATURE_WORK_EXCEEDED')).toHaveLength(1);
    const checked = ins!.roles.map((r) => (r.thresholdMet !== undefined ? 'checked' : r.signaturesNotChecked ? 'not checked' : 'neither'));
    expect(checked).toEqual(['checked', 'checked', 'not checked', 'not checked', 'not checked']);
  });

  it('a verified repository is shown with the verdict’s results: no check is made twice', async () => {
    const r = await buildRepo('tuf', { rootVersions: 3 });
    const files = r.files();
    const ownRoot = verifyChecks(files, r.roots[0]!);
    // Pinned, and from its oldest root: the same checks as the verification alone (before: twice as many).
    let ins: Inspection | undefined;
    expect(checksMadeBy(() => (ins = inspectNamedFiles({ files: repositoryFileNames(files), directory: true, trustedRoot: { name: 'pin.json', bytes: r.roots[0]! } })))).toBe(ownRoot);
    expect(checksMadeBy(() => inspectNamedFiles({ files: repositoryFileNames(files), directory: true }))).toBe(ownRoot);
    expect(ins!.verified).toEqual({ ok: true });
    expect(ins!.problems).toEqual([]);
    // What is shown is still each role's full result: the root's 2 of 3 (the last step of the chain).
    expect(role(ins!, 'root')).toMatchObject({ threshold: 2, thresholdMet: true });
    expect(role(ins!, 'root').signedBy).toHaveLength(2);
    expect(role(ins!, 'root').missing).toHaveLength(1);
    expect(role(ins!, 'releases')).toMatchObject({ signedBy: [r.keys.delegate[0]!.keyId], missing: [], thresholdMet: true });
    for (const x of ins!.roles) expect(x.signaturesNotChecked).toBeUndefined();
    // A root file given with a pin (the version before it): the verdict's check of it is the one shown.
    const rootFile = { versionedRoots: new Map(), delegated: new Map(), root: r.roots[2]! };
    expect(checksMadeBy(() => (ins = inspectNamedFiles({ files: [{ name: 'root.json', bytes: r.roots[2]! }], trustedRoot: { name: 'pin.json', bytes: r.roots[1]! } })))).toBe(verifyChecks(rootFile, r.roots[1]!));
    expect(ins!.verified).toEqual({ ok: true });
    expect(role(ins!, 'root').signedBy).toHaveLength(2);
  });

  it('a role shown under another delegation than the one it was verified under is checked there, and only it', async () => {
    const { trustedRoot, files, keys } = await twoLevelShape();
    let ins: Inspection | undefined;
    // The verdict verifies c under targets; the view shows it under a (depth first): one check of C2's signature.
    expect(checksMadeBy(() => (ins = inspectNamedFiles({ files: repositoryFileNames(files), directory: true })))).toBe(verifyChecks(files, trustedRoot) + 1);
    expect(ins!.verified).toEqual({ ok: true });
    expect(ins!.roles.filter((r) => r.name === 'c')).toHaveLength(1);
    expect(role(ins!, 'c')).toMatchObject({ delegatedBy: 'a', signedBy: [keys.c2.keyId], missing: [], thresholdMet: true });
  });
});
