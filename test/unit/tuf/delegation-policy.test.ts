/**
 * Delegations in foreign metadata that a client accepts but that can never do anything: path hash
 * prefixes no lower-case digest starts with (TUF 4.5), and a threshold above the role's keys (TUF 5.6.7).
 * We read them as tuf-js and python-tuf read them, and say plainly what fails.
 */
import { Targets as TufJsTargets } from '@tufjs/models';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import { delegationCovers } from '../../../src/rotation/delegated-payload.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { buildRepo, parseBytes, sign, withField } from '../../support/repo.js';
import { refusal } from '../../support/refusal.js';

const PATHS = ['releases/v1.tar.gz', 'a', '', 'x/y/z', 'ünïcödé/日本.txt', '😀', 'A'];
// sha256('a') = ca978112…, sha256('') = e3b0c442…
const PREFIXES = ['ca', 'CA', 'Ca', 'ca978112', 'e3b0', 'E3B0', '', 'zz', 'c', 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb', 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb0'];

describe('path_hash_prefixes (TUF 4.5) as clients read them', () => {
  it('a prefix that is not lower-case hex is read, and matches no target: targets.json verifies (it was DELEGATION_INVALID)', async () => {
    const r = await buildRepo('tuf');
    const t = parseBytes(r.targets).signed as JsonObject;
    const role = ((t.delegations as JsonObject).roles as JsonObject[])[0]!;
    delete role.paths;
    role.path_hash_prefixes = ['AB', 'xyz', 'ab'];
    await r.relink({ targets: await sign('tuf', t, r.keys.targets) });
    const v = verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() });
    expect(v.targets!.md.signed.delegations!.roles[0]!.pathHashPrefixes).toEqual(['AB', 'xyz', 'ab']);
    expect(v.delegated.get(r.delegationName)?.result.verified).toBe(true);
  });

  it('matches exactly where tuf-js DelegatedRole.isDelegatedPath matches (lower-case hex digest, startsWith)', () => {
    const got: boolean[] = [];
    const want: boolean[] = [];
    for (const prefix of PREFIXES) {
      const role = { name: 'bin', keyids: [], threshold: 1, terminating: false, path_hash_prefixes: [prefix] };
      const tufjs = TufJsTargets.fromJSON({ _type: 'targets', spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z', targets: {}, delegations: { keys: {}, roles: [role] } });
      const theirs = tufjs.delegations!.roles!.bin!;
      for (const path of PATHS) {
        got.push(delegationCovers('tuf', { name: 'bin', keyids: [], threshold: 1, terminating: false, unrecognized: {}, pathHashPrefixes: [prefix] }, path));
        want.push(theirs.isDelegatedPath(path));
      }
    }
    expect(got).toEqual(want);
    // The vectors do exercise both answers, and upper case never matches.
    expect(got.filter(Boolean).length).toBeGreaterThan(0);
    expect(delegationCovers('tuf', { name: 'bin', keyids: [], threshold: 1, terminating: false, unrecognized: {}, pathHashPrefixes: ['CA'] }, 'a')).toBe(false);
    expect(delegationCovers('tuf', { name: 'bin', keyids: [], threshold: 1, terminating: false, unrecognized: {}, pathHashPrefixes: ['ca'] }, 'a')).toBe(true);
  });
});

describe.each(['tuf', 'notary'] as const)('a delegation whose threshold is above its keys (%s)', (profile) => {
  it('targets.json is read as clients read it; the role\'s file is refused as one that can never verify', async () => {
    const r = await buildRepo(profile);
    const t = parseBytes(r.targets).signed as JsonObject;
    await r.relink({ targets: await sign(profile, withField(t, ['delegations', 'roles', 0, 'threshold'], 2), r.keys.targets) });
    const e = refusal(() => verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() }));
    expect([e.code, e.path]).toEqual(['THRESHOLD_NOT_MET', `${r.delegationName}.json $.signatures`]);
    expect(e.message).toContain(`${r.delegationName} can never be verified: its delegating role gives it a threshold of 2 but lists 1 key (1 signed)`);
  });
});
