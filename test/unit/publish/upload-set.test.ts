/**
 * Which files `publish` uploads together and which sets it refuses (src/publish/upload-set.ts), against
 * server states given as bytes: every refusal with its code, nothing decided from anything but the bytes.
 * (The same rules against a real notary-server: test/integration/publish-notary-tls.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../src/errors.js';
import { planUpload, type ServerState } from '../../../src/publish/upload-set.js';
import type { RepositoryFiles } from '../../../src/tuf/repository.js';
import { publishSessionTranscript } from '../../../src/publish/publish-session.js';
import { refusal } from '../../support/refusal.js';
import { buildRepo, GUN, makeServedSet, PAST, rootSigned, sign, targetsSigned, type BuiltRepo } from '../../support/repo.js';
import { makeKey } from '../../support/keys.js';

const NOW = new Date();
const emptyServer = (): ServerState => ({ delegated: new Map(), versionedRoots: new Map() });
const serverOf = (f: RepositoryFiles): ServerState => ({ ...emptyServer(), root: f.root!, targets: f.targets!, snapshot: f.snapshot!, timestamp: f.timestamp!, delegated: new Map(f.delegated) });

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
    // A snapshot that does not list the role (the server may hold the snapshot key) does not excuse it: the
    // role counts because the server's targets.json delegates to it (review A2, M2); naming it publishes alone.
    const unlisted = await makeServedSet(repo, { targets: repo.targets, delegated: false });
    const bare = { ...server, ...unlisted, delegated: new Map<string, Uint8Array>() };
    expect(refusal(() => planUpload({ local: base, server: bare, pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW })).code).toBe('PUBLISH_HALF_SET');
    expect([...planUpload({ local: base, server: bare, pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW, withoutDelegated: [role] }).upload.keys()]).toEqual(['targets']);
    // A 404 for the role's file does not skip the check while the verified snapshot lists it.
    const notFound = { ...server, delegated: new Map<string, Uint8Array>() };
    expect(refusal(() => planUpload({ local: base, server: notFound, pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW })).code).toBe('PUBLISH_HALF_SET');
    // A key added (none taken away): targets.json alone is fine.
    const added = await sign('notary', targetsSigned('notary', 2, app, { name: role, keys: [...repo.keys.delegate, ...newKey] }), repo.keys.targets);
    expect([...plan({ ...base, targets: added }).upload.keys()]).toEqual(['targets']);
  });
});

describe('a server that serves nothing for the GUN: a first publish, confirmed by the operator when the root is above version 1', () => {
  it('root v1 goes ahead; a root above v1 (its chain from 1, or not) is PUBLISH_FIRST_UNCONFIRMED without --first-publish, whatever else the server answers', async () => {
    const three = await buildRepo('notary', { rootVersions: 3 });
    const whole = three.files({ withVersioned: true });
    // The input without 1.root.json: its chain starts at version 2.
    const from2: RepositoryFiles = { ...whole, versionedRoots: new Map([...whole.versionedRoots].filter(([n]) => n !== 1)) };
    const bare: RepositoryFiles = { ...whole, versionedRoots: new Map() };
    const all404 = emptyServer();
    // The server's other answers do not make it serve the GUN: a delegated file, or versioned roots, with 404 for the top-level four.
    const strays: ServerState = { ...emptyServer(), delegated: new Map([[three.delegationName, three.delegated]]), versionedRoots: new Map([[1, three.roots[0]!]]) };
    // [what, input, pinned root, server, --first-publish, expected: a refusal code or the roles uploaded, message parts]
    const cases: [string, RepositoryFiles, Uint8Array, ServerState, boolean, ErrorCode | string[], string[]][] = [
      ['root v1, all four 404', v1, repo.roots[0]!, all404, false, ['root', 'targets', 'targets/releases', 'snapshot'], []],
      ['root v3 with its chain from v1, all four 404', whole, three.roots[0]!, all404, false, 'PUBLISH_FIRST_UNCONFIRMED', ['404 for root.json, timestamp.json, snapshot.json and targets.json of', 'root to publish is version 3', 'runs from version 1 to 3', '--first-publish']],
      ['root v3, its chain from v2 (pinned there)', from2, three.roots[1]!, all404, false, 'PUBLISH_FIRST_UNCONFIRMED', ['runs from version 2 to 3, not from version 1']],
      ['root v3 alone (pinned to itself)', bare, three.roots[2]!, all404, false, 'PUBLISH_FIRST_UNCONFIRMED', ['the input has no earlier root versions']],
      ['root v3, the server serving only stray files', whole, three.roots[0]!, strays, false, 'PUBLISH_FIRST_UNCONFIRMED', ['serves nothing for this repository']],
      ['root v3 with --first-publish', whole, three.roots[0]!, all404, true, ['root', 'targets', 'targets/releases', 'snapshot'], []],
      ['root v3 alone with --first-publish', bare, three.roots[2]!, all404, true, ['root', 'targets', 'targets/releases', 'snapshot'], []],
    ];
    for (const [what, local, pinnedRoot, server, firstPublish, expected, parts] of cases) {
      const run = () => planUpload({ local, server, pinnedRoot, gun: GUN, now: NOW, ...(firstPublish ? { firstPublish } : {}) });
      if (typeof expected === 'string') {
        const err = refusal(run);
        expect([what, err.code, err.path]).toEqual([what, expected, 'root.json $.signed.version']);
        for (const p of parts) expect([what, err.message]).toEqual([what, expect.stringContaining(p)]);
      } else {
        const plan = run();
        expect([what, [...plan.upload.keys()], plan.firstPublish, plan.firstPublishConfirmed]).toEqual([what, expected, true, firstPublish]);
        // The operator's confirmation is recorded in the publish transcript's plan entry (review-gaps L3).
        const transcript = new TextDecoder().decode(
          await publishSessionTranscript(
            { host: 'notary.example.com', gun: GUN, input: { name: 'out', sha256: '0'.repeat(64) }, pinnedRoot: { name: 'root.json', bytes: pinnedRoot }, now: () => NOW },
            { published: { plan, uploaded: [], pinnedRootVersion: 1 } },
          ),
        );
        const note = transcript.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: string; note?: string }).find((e) => e.step === 'publish.plan')!.note!;
        if (firstPublish) expect(note, what).toContain(`operator confirmed first publish of root v${plan.roles.find((r) => r.role === 'root')!.to} (--first-publish)`);
        else expect(note, what).not.toContain('--first-publish');
      }
    }
    // The flag given while the server DOES serve the GUN: the operator's belief contradicts the server (a
    // wrong --server or --gun): PUBLISH_NOT_FIRST, whatever the server serves; without the flag it goes on.
    const server = { ...serverOf(whole), root: three.roots[1]! };
    delete server.snapshot;
    expect([...planUpload({ local: whole, server, pinnedRoot: three.roots[0]!, gun: GUN, now: NOW }).upload.keys()]).toEqual(['root', 'snapshot']);
    expect(planUpload({ local: whole, server, pinnedRoot: three.roots[0]!, gun: GUN, now: NOW }).firstPublishConfirmed).toBe(false);
    const onlyTimestamp: ServerState = { ...emptyServer(), timestamp: three.timestamp };
    for (const [what, served, names] of [
      ['serving root, targets and timestamp', server, 'root.json, targets.json, timestamp.json'],
      ['serving only timestamp.json', onlyTimestamp, 'timestamp.json'],
    ] as const) {
      const err = refusal(() => planUpload({ local: whole, server: served, pinnedRoot: three.roots[0]!, gun: GUN, now: NOW, firstPublish: true }));
      expect([what, err.code]).toEqual([what, 'PUBLISH_NOT_FIRST']);
      expect(err.message, what).toContain(`it already holds this repository (it serves ${names})`);
      expect(err.message, what).toContain('wrong --server or --gun');
    }
  });
});

describe('the server’s targets.json is verified before the delegated-key check decides from it (review B)', () => {
  it('hostile server answers fail closed (PUBLISH_SERVER_UNVERIFIED naming the file and the verifier’s own code, or the check itself); none skips the check', async () => {
    const role = repo.delegationName;
    const newKey = repo.keys.snapshot;
    const app = { 'app.tar.gz': new TextEncoder().encode('v3') };
    // The input: targets v3 takes the delegate's key from the role (the key goes to newKey).
    const targetsV3 = await sign('notary', targetsSigned('notary', 3, app, { name: role, keys: newKey }), repo.keys.targets);
    const local: RepositoryFiles = { versionedRoots: new Map(), delegated: new Map(), root: v1.root!, targets: targetsV3 };
    // What the server really serves: targets v2, the role still with the delegate's key, vouched for by its snapshot and timestamp.
    const honestTargets = await sign('notary', targetsSigned('notary', 2, {}, { name: role, keys: repo.keys.delegate }), repo.keys.targets);
    const honest: ServerState = { ...emptyServer(), root: v1.root!, ...(await makeServedSet(repo, { targets: honestTargets })), delegated: new Map([[role, repo.delegated]]) };
    const plan = (server: ServerState, extra: Partial<Parameters<typeof planUpload>[0]> = {}) => planUpload({ local, server, pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW, ...extra });
    // Positive control: the honest answer verifies, and the check refuses the half set.
    expect(refusal(() => plan(honest)).code).toBe('PUBLISH_HALF_SET');

    // Forged answers whose targets.json already lacks the delegate's key: trusted, they would skip the check.
    const noLoss = targetsSigned('notary', 2, {}, { name: role, keys: newKey });
    const unsigned = new TextEncoder().encode(JSON.stringify({ signed: noLoss, signatures: [] }));
    const wrongKey = await sign('notary', noLoss, repo.keys.delegate);
    const older = await sign('notary', targetsSigned('notary', 1, {}, { name: role, keys: newKey }), repo.keys.targets);
    const olderSet = await makeServedSet(repo, { targets: older, timestampExpires: PAST });
    const otherTimestampKey = await makeKey('notary', 'ed25519');
    // An older targets.json the targets key really signed (v1, before the role had the delegate's key), with a snapshot and timestamp the server signs fresh.
    const olderFresh = await makeServedSet(repo, { targets: older });
    const v1Honest = await sign('notary', targetsSigned('notary', 1, {}, { name: role, keys: repo.keys.delegate }), repo.keys.targets);
    const absent = (...files: (keyof ServerState)[]) => Object.fromEntries(files.map((f) => [f, undefined])) as Partial<ServerState>;
    // [what, answer (undefined: a 404), code, the verifier's code (cause) or undefined, path, message part]
    const cases: [string, Partial<ServerState>, ErrorCode, ErrorCode | undefined, string, string][] = [
      // The server holds the snapshot and timestamp keys (Docker's set): it can vouch for any bytes, the targets key cannot be forged.
      ['targets.json unsigned, with a snapshot and timestamp over it', await makeServedSet(repo, { targets: unsigned }), 'PUBLISH_SERVER_UNVERIFIED', 'THRESHOLD_NOT_MET', 'the server’s targets.json $.signatures', ''],
      ['targets.json signed by a key the root does not give the targets role', await makeServedSet(repo, { targets: wrongKey }), 'PUBLISH_SERVER_UNVERIFIED', 'THRESHOLD_NOT_MET', 'the server’s targets.json $.signatures', ''],
      ['an older targets.json than the server’s snapshot names (a stale answer)', { targets: older }, 'PUBLISH_SERVER_UNVERIFIED', 'HASH_MISMATCH', 'the server’s snapshot.json meta for the server’s targets.json', ''],
      ['an older set, consistent, with its timestamp expired (replayed)', olderSet, 'PUBLISH_SERVER_UNVERIFIED', 'EXPIRED', 'the server’s timestamp.json $.signed.expires', ''],
      ['targets.json that is not JSON', { targets: new TextEncoder().encode('{"signed": ') }, 'PUBLISH_SERVER_UNVERIFIED', 'JSON_MALFORMED', '', ''],
      ['a timestamp signed by a key the root does not list', await makeServedSet(repo, { targets: honestTargets, timestampKey: otherTimestampKey }), 'PUBLISH_SERVER_UNVERIFIED', 'THRESHOLD_NOT_MET', 'the server’s timestamp.json $.signatures', ''],
      ['no timestamp.json', absent('timestamp'), 'PUBLISH_SERVER_UNVERIFIED', 'META_MISSING', 'the server’s timestamp.json', ''],
      ['a snapshot.json that is not the one the timestamp names', { snapshot: olderSet.snapshot }, 'PUBLISH_SERVER_UNVERIFIED', 'HASH_MISMATCH', 'the server’s timestamp.json meta for the server’s snapshot.json', ''],
      // Review A2. The answers a server gives with its own keys (it signs timestamps, and usually snapshots):
      // M1: root.json, snapshot.json and timestamp.json served, targets.json a 404 (never a first publish).
      ['targets.json a 404 while the GUN’s other files are served', absent('targets'), 'PUBLISH_SERVER_UNVERIFIED', 'META_MISSING', 'the server’s targets.json', 'serves root.json, timestamp.json, snapshot.json for this GUN but no targets.json'],
      ['everything but root.json served', absent('root'), 'PUBLISH_SERVER_UNVERIFIED', 'META_MISSING', 'the server’s root.json', 'but no root.json'],
      // M2: an older targets.json the targets key signed, under a fresh snapshot and timestamp: not the input's predecessor.
      ['an older targets.json (v1, role already re-keyed) with a fresh snapshot and timestamp', olderFresh, 'PUBLISH_SERVER_UNVERIFIED', undefined, 'the server’s targets.json $.signed.version', 'the server serves targets.json version 1; this targets.json is version 3, made from version 2'],
      ['an older targets.json (v1, role with the delegate’s key) with a fresh snapshot and timestamp', await makeServedSet(repo, { targets: v1Honest }), 'PUBLISH_SERVER_UNVERIFIED', undefined, 'the server’s targets.json $.signed.version', 'version 1'],
      // M2: the real targets v2 under a snapshot that leaves the role out: the role still counts (its targets.json delegates to it).
      ['a snapshot without the role’s file', await makeServedSet(repo, { targets: honestTargets, delegated: false }), 'PUBLISH_HALF_SET', undefined, `${role}.json`, `takes a key away from ${role}`],
      ['a snapshot without the role, and the role’s file a 404', { ...(await makeServedSet(repo, { targets: honestTargets, delegated: false })), delegated: new Map() }, 'PUBLISH_HALF_SET', undefined, `${role}.json`, `takes a key away from ${role}`],
    ];
    for (const [what, answer, code, cause, path, text] of cases) {
      const server = { ...honest, ...answer } as ServerState;
      for (const [k, v] of Object.entries(answer)) if (v === undefined) delete server[k as keyof ServerState];
      const err = refusal(() => plan(server));
      const inner = err.cause as { code?: string } | undefined;
      expect([what, err.code, inner?.code]).toEqual([what, code, cause]);
      if (path) expect([what, err.path]).toEqual([what, path]);
      if (cause) expect(err.message).toContain(`${cause}:`);
      if (text) expect([what, err.message]).toEqual([what, expect.stringContaining(text)]);
      // Naming the role does not make an unverified answer acceptable: the roles it loses are unknown.
      if (code === 'PUBLISH_SERVER_UNVERIFIED') expect([what, refusal(() => plan(server, { withoutDelegated: [role] })).code]).toEqual([what, 'PUBLISH_SERVER_UNVERIFIED']);
    }
    // A first publish (the server serves nothing for the GUN) has nothing to check against and still goes ahead.
    expect([...planUpload({ local: { ...local, targets: older }, server: emptyServer(), pinnedRoot: repo.roots[0]!, gun: GUN, now: NOW }).upload.keys()]).toEqual(['root', 'targets']);
  });

  it('a server root older than the pin: its files verify under the pinned root’s keys, or the answer is refused (pin the root the server serves)', async () => {
    const role = repo.delegationName;
    const newKey = repo.keys.snapshot;
    const newTargetsKey = await makeKey('notary', 'ecdsa-p256');
    // Root v2 rotates the targets key; targets v2 (signed by the new key) takes the delegate's key from the role.
    const rootV2 = await sign('notary', rootSigned('notary', 2, { ...repo.keys, targets: [newTargetsKey] }, { root: 2 }), repo.keys.root.slice(0, 2));
    const targetsV2 = await sign('notary', targetsSigned('notary', 2, {}, { name: role, keys: newKey }), [newTargetsKey]);
    const server = serverOf(v1);
    const local: RepositoryFiles = { versionedRoots: new Map(), delegated: new Map(), root: rootV2, targets: targetsV2 };
    // The input without 1.root.json pins root v2: the server's targets.json (signed by the old targets key) cannot be verified.
    const err = refusal(() => planUpload({ local, server, pinnedRoot: rootV2, gun: GUN, now: NOW }));
    expect([err.code, (err.cause as { code?: string }).code, err.path]).toEqual(['PUBLISH_SERVER_UNVERIFIED', 'THRESHOLD_NOT_MET', 'the server’s targets.json $.signatures']);
    // With 1.root.json in the input the pin is the server's root: verified, and the check decides (the role's new file is missing).
    const withV1 = { ...local, versionedRoots: new Map([[1, v1.root!]]) };
    expect(refusal(() => planUpload({ local: withV1, server, pinnedRoot: v1.root!, gun: GUN, now: NOW })).code).toBe('PUBLISH_HALF_SET');
    // A server root forked at the pin's version (its own targets key, signed by that key only) is never trusted.
    const attacker = await makeKey('notary', 'ecdsa-p256');
    const forkedV1 = await sign('notary', rootSigned('notary', 1, { ...repo.keys, targets: [attacker] }), [attacker]);
    const forked = refusal(() => planUpload({ local: withV1, server: { ...server, root: forkedV1 }, pinnedRoot: v1.root!, gun: GUN, now: NOW }));
    expect([forked.code, (forked.cause as { code?: string }).code, forked.path]).toEqual(['PUBLISH_SERVER_UNVERIFIED', 'TRUSTED_ROOT_MISMATCH', 'the server’s root.json']);
  });
});
