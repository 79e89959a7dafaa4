/**
 * Which files `publish` uploads together and which sets it refuses (src/publish/upload-set.ts), against
 * server states given as bytes: every refusal with its code, nothing decided from anything but the bytes.
 * (The same rules against a real notary-server: test/integration/publish-notary-tls.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../src/errors.js';
import { planUpload, type ServerState } from '../../../src/publish/upload-set.js';
import type { RepositoryFiles } from '../../../src/tuf/repository.js';
import { refusal } from '../../support/refusal.js';
import { buildRepo, GUN, sign, targetsSigned, type BuiltRepo } from '../../support/repo.js';

const NOW = new Date();
const emptyServer = (): ServerState => ({ delegated: new Map(), versionedRoots: new Map() });
const serverOf = (f: RepositoryFiles): ServerState => ({ ...emptyServer(), root: f.root!, targets: f.targets!, snapshot: f.snapshot!, delegated: new Map(f.delegated) });

let repo: BuiltRepo;
let v1: RepositoryFiles;

beforeAll(async () => {
  repo = await buildRepo('notary');
  v1 = repo.files({ withVersioned: false });
});

describe('the upload set', () => {
  it('a first publish sends root, targets, delegations and the offline snapshot in one set; never timestamp.json', () => {
    const plan = planUpload({ local: v1, server: emptyServer(), pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW });
    expect([...plan.upload.keys()]).toEqual(['root', 'targets', 'targets/releases', 'snapshot']);
    expect(plan.firstPublish).toBe(true);
    expect(plan.snapshotHeldBy).toBe('client');
    expect(plan.notUploaded.map((n) => n.file)).toEqual(['timestamp.json']);
  });

  it('what the server already serves is not sent again (publishing twice uploads nothing)', () => {
    const plan = planUpload({ local: v1, server: serverOf(v1), pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW });
    expect(plan.upload.size).toBe(0);
    expect(plan.roles.every((r) => !r.upload)).toBe(true);
  });

  it('refusals, each with its own code', async () => {
    const targetsV2 = await sign('notary', targetsSigned('notary', 2, { 'app.tar.gz': new TextEncoder().encode('v2') }, { name: repo.delegationName, keys: repo.keys.delegate }), repo.keys.targets);
    const otherV1 = await sign('notary', targetsSigned('notary', 1, { 'other.tar.gz': new TextEncoder().encode('x') }, { name: repo.delegationName, keys: repo.keys.delegate }), repo.keys.targets);
    const tuf = await buildRepo('tuf');
    const cases: [string, RepositoryFiles, ServerState, ErrorCode][] = [
      ['a first upload without targets.json', { versionedRoots: new Map(), delegated: new Map(), root: v1.root! }, emptyServer(), 'PUBLISH_HALF_SET'],
      ['targets v2 without a new offline snapshot', { ...v1, targets: targetsV2 }, serverOf(v1), 'PUBLISH_HALF_SET'],
      ['an older targets.json than the server’s', v1, { ...serverOf(v1), targets: targetsV2 }, 'PUBLISH_SERVER_NEWER'],
      ['the same targets version with other bytes', { ...v1, targets: otherV1 }, serverOf(v1), 'PUBLISH_CONFLICT'],
      ['a TUF repository', tuf.files(), emptyServer(), 'PUBLISH_PROFILE_UNSUPPORTED'],
    ];
    for (const [what, local, server, code] of cases) {
      const pinned = local === cases[4]![1] ? tuf.roots[0]! : repo.roots[0]!;
      expect([what, refusal(() => planUpload({ local, server, pinnedRoot: pinned, gun: GUN, now: NOW })).code]).toEqual([what, code]);
    }
  });

  it('a root two versions ahead of the server’s is refused; the next one is taken', async () => {
    const three = await buildRepo('notary', { rootVersions: 3 });
    const f = three.files({ withVersioned: true });
    const server = { ...serverOf(f), root: three.roots[0]! };
    expect(refusal(() => planUpload({ local: f, server, pinnedRoot: three.roots[0]!, gun: GUN, now: NOW })).code).toBe('PUBLISH_ROOT_VERSION_UNACCEPTABLE');
    // Root v3 over v2, with the offline snapshot over v3 (the server's is older): targets and delegations unchanged.
    const next: ServerState = { ...serverOf(f), root: three.roots[1]! };
    delete next.snapshot;
    const plan = planUpload({ local: f, server: next, pinnedRoot: three.roots[0]!, gun: GUN, now: NOW });
    expect([...plan.upload.keys()]).toEqual(['root', 'snapshot']);
    // The same, while the server already serves this snapshot: the root would go without a snapshot over it.
    expect(refusal(() => planUpload({ local: f, server: { ...serverOf(f), root: three.roots[1]! }, pinnedRoot: three.roots[0]!, gun: GUN, now: NOW })).code).toBe('PUBLISH_HALF_SET');
  });

  it('a targets.json that takes a key from a delegated role the server serves goes with the role\'s new file, or the role is named knowingly', async () => {
    const role = repo.delegationName;
    const newKey = repo.keys.snapshot;
    const app = { 'app.tar.gz': new TextEncoder().encode('v2') };
    // targets v2 re-keys the role to another key; the snapshot is the server's (the set Docker uses).
    const targetsV2 = await sign('notary', targetsSigned('notary', 2, app, { name: role, keys: newKey }), repo.keys.targets);
    const roleV2 = await sign('notary', targetsSigned('notary', 2, {}), newKey);
    const server = serverOf(v1);
    delete server.snapshot;
    const base: RepositoryFiles = { versionedRoots: new Map(), delegated: new Map(), root: v1.root!, targets: targetsV2 };
    const plan = (local: RepositoryFiles, withoutDelegated?: string[]) => planUpload({ local, server, pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW, ...(withoutDelegated ? { withoutDelegated } : {}) });
    const cases: [string, () => unknown, ErrorCode][] = [
      ['targets.json alone', () => plan(base), 'PUBLISH_HALF_SET'],
      ['with the role\'s file the server already serves', () => plan({ ...base, delegated: new Map([[role, server.delegated.get(role)!]]) }), 'PUBLISH_HALF_SET'],
      ['another role named as knowingly left', () => plan(base, ['targets/other']), 'PUBLISH_HALF_SET'],
    ];
    for (const [what, fn, code] of cases) expect([what, refusal(fn).code]).toEqual([what, code]);
    expect(refusal(() => plan(base)).message).toContain(`takes a key away from ${role}`);
    expect([...plan({ ...base, delegated: new Map([[role, roleV2]]) }).upload.keys()]).toEqual(['targets', role]);
    expect([...plan(base, [role]).upload.keys()]).toEqual(['targets']);
    // The server serves no file for the role: no tags to keep or lose.
    const bare = { ...server, delegated: new Map<string, Uint8Array>() };
    expect([...planUpload({ local: base, server: bare, pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW }).upload.keys()]).toEqual(['targets']);
    // A key added (none taken away): targets.json alone is fine.
    const added = await sign('notary', targetsSigned('notary', 2, app, { name: role, keys: [...repo.keys.delegate, ...newKey] }), repo.keys.targets);
    expect([...plan({ ...base, targets: added }).upload.keys()]).toEqual(['targets']);
  });
});
