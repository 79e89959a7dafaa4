/**
 * "Revoke these tags too" through the CLI (issue #14): a rotation plan whose `delegations` revoke CI's key
 * from the releases role and name the tags to drop (`revokeTags`) → `rotate` (the review and `--json` of
 * both parts) → `sign` answers per part → `merge --out --out-delegated` writes both files; a half-signed
 * set is MERGE_HALF_SIGNED with nothing written; plan refusals each with their code and plan path.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import type { JsonObject } from '../../../src/json/types.js';
import { describeRequest, readSigningRequest, serializeSignatureResponse, signRequest } from '../../../src/rotation/index.js';
import { formatShareCard, splitKey } from '../../../src/shamir/index.js';
import type { SoftwareKey } from '../../../src/signers/software.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { captureIo } from '../../support/cli-io.js';
import { fixture, type Fixture } from './revoke-tags-support.js';
import { EXPIRES_V2, GUN } from './support.js';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const work = mkdtempSync(join(tmpdir(), 'tufc-revoke-tags-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const at = (name: string) => join(work, name);

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = captureIo();
  const code = await runCli(args, c.io);
  return { code, out: c.out.join('\n'), err: c.err.join('\n') };
}

describe('revoke these tags too: rotate → sign → merge (notary)', () => {
  let f: Fixture;
  let plan: JsonObject;
  beforeAll(async () => {
    f = await fixture('notary');
    writeFileSync(at('root.json'), f.fx.rootV1);
    writeFileSync(at('targets.json'), f.targetsV1);
    writeFileSync(at('releases.json'), f.releasesV1);
    plan = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'notary',
      repository: GUN,
      previousRoot: { file: 'root.json', sha256: sha(f.fx.rootV1) },
      custodians: [{ name: 'Tina', keyid: f.fx.targets.listed.keyId }],
      expires: EXPIRES_V2,
      delegations: {
        targets: { file: 'targets.json', sha256: sha(f.targetsV1) },
        revokeKeys: [{ keyid: f.ci.listed.keyId, role: f.rel }],
        current: [{ role: f.rel, file: 'releases.json', sha256: sha(f.releasesV1) }],
        revokeTags: { role: f.rel, targets: ['releases/v2.tar.gz'] },
      },
    };
  }, 60_000);

  const writePlan = (name: string, p: JsonObject): string => {
    writeFileSync(at(name), JSON.stringify(p));
    return at(name);
  };

  it('both parts reviewed and in --json; each signer signs its part; merge writes both files, or neither', async () => {
    const made = await cli(['rotate', writePlan('plan.json', plan), '--out', at('req.json'), '--json']);
    expect(made.code, made.err).toBe(0);
    const report = JSON.parse(made.out) as JsonObject;
    expect(report).toMatchObject({ ok: true, fromVersion: 1, toVersion: 2, expectedSigners: [{ name: 'Tina', from: 'targets' }] });
    expect(report.revokeTags).toMatchObject({ role: f.rel, fromVersion: 1, toVersion: 2, removed: [{ name: 'releases/v2.tar.gz', length: f.v2.length, sha256: sha(f.v2) }], kept: ['releases/v1.tar.gz'], expectedSigners: [{ keyid: f.ci2.listed.keyId, from: 'targets' }] });
    expect(made.err).toContain(`Part 2 of 2 — ${f.rel}.json`);
    expect(made.err).toContain(`and ${f.rel}.json version 2 without 1 target; its expected signers: "unnamed ${f.rel} key 1"`);

    const inspected = await cli(['inspect', at('req.json')]);
    expect(inspected.code, inspected.err).toBe(0);
    expect(inspected.out).toContain(`Part 2 of 2 — ${f.rel}.json`);
    expect(inspected.out).toContain(`key ${f.ci2.listed.keyId.slice(0, 12)}… named "unnamed ${f.rel} key 1"  (key of "${f.rel}" in targets.json version 2: signs part 2)`);
    const request = readSigningRequest(new Uint8Array(readFileSync(at('req.json')))).request;
    const respond = async (key: typeof f.ci2.key, name: string) => {
      writeFileSync(at(name), serializeSignatureResponse(await signRequest(request, key)));
      return at(name);
    };
    const tina = await respond(f.fx.targets.key, 'tina.response.json');
    const ci2 = await respond(f.ci2.key, 'ci2.response.json');

    // Without --out-delegated: usage, nothing read further; half-signed: MERGE_HALF_SIGNED, nothing written.
    expect((await cli(['merge', at('req.json'), tina, ci2, '--out', at('t.json')])).code).toBe(2);
    for (const half of [[tina], [ci2]]) {
      const r = await cli(['merge', at('req.json'), ...half, '--out', at('t.json'), '--out-delegated', at('r.json')]);
      expect(r.code).toBe(1);
      expect(r.err.split('\n')[0]).toMatch(/^error\[MERGE_HALF_SIGNED\]: targets\.json version 2 and targets\/releases\.json version 2 are merged together or not at all/);
      expect([existsSync(at('t.json')), existsSync(at('r.json'))]).toEqual([false, false]);
    }
    const partial = await cli(['merge', at('req.json'), ci2, '--out', at('t.json'), '--out-delegated', at('r.json'), '--partial', '--json']);
    expect(partial.code).toBe(0);
    expect(JSON.parse(partial.out)).toMatchObject({ final: false, out: null, revokeTags: { final: true, out: null } });

    const merged = await cli(['merge', at('req.json'), ci2, tina, '--out', at('t.json'), '--out-delegated', at('r.json'), '--json']);
    expect(merged.code, merged.err).toBe(0);
    expect(JSON.parse(merged.out)).toMatchObject({ final: true, role: 'targets', version: 2, out: at('t.json'), revokeTags: { delegation: f.rel, version: 2, final: true, out: at('r.json') } });
    const rel = parseMetadata(new Uint8Array(readFileSync(at('r.json'))), 'targets', { maxBytes: 1 << 20, source: 'r.json', profile: 'notary' });
    expect([...rel.signed.targets.keys()]).toEqual(['releases/v1.tar.gz']);
    expect(parseMetadata(new Uint8Array(readFileSync(at('t.json'))), 'targets', { maxBytes: 1 << 20, source: 't.json', profile: 'notary' }).signed.delegations!.roles[0]!.keyids).toEqual([f.ci2.listed.keyId]);

    // --out-delegated for a request that revokes no tags: usage.
    const plain = structuredClone(plan);
    delete (plain.delegations as JsonObject).revokeTags;
    expect((await cli(['rotate', writePlan('plain.json', plain), '--out', at('plain.req.json')])).code).toBe(0);
    expect((await cli(['merge', at('plain.req.json'), tina, '--out', at('p.json'), '--out-delegated', at('pr.json')])).code).toBe(2);
  }, 120_000);

  it('sign --expect-hash of the part the key does not sign: refused before the key is rebuilt, nothing signed or written (review B F2); the part it signs is signed', async () => {
    expect((await cli(['rotate', writePlan('plan-f2.json', plan), '--out', at('req-f2.json')])).code).toBe(0);
    const review = describeRequest(readSigningRequest(new Uint8Array(readFileSync(at('req-f2.json')))).request);
    const part1 = review.digest.sha256;
    const part2 = review.revokeTags!.digest.sha256;
    expect(part1).not.toBe(part2);
    const cards = async (key: SoftwareKey, label: string): Promise<string[]> => {
      const split = await key.withSecret((secret) => splitKey(key.algorithm, Uint8Array.from(secret), { threshold: 2, shares: 2, label }));
      return split.cards.map((card, i) => {
        const p = at(`${label}-card-${i + 1}.txt`);
        writeFileSync(p, formatShareCard(card));
        return p;
      });
    };
    // Tina's key is the root's targets key (part 1); CI 2's is the role's (part 2).
    for (const [label, key, mine, other] of [['tina', f.fx.targets.key, part1, part2], ['ci2', f.ci2.key, part2, part1]] as const) {
      const paths = await cards(key, label);
      const out = at(`${label}-f2.response.json`);
      const wrong = await cli(['sign', at('req-f2.json'), '--out', out, '--share-card', ...paths, '--expect-hash', other]);
      expect([wrong.code, wrong.err.split('\n')[0]], label).toEqual([1, expect.stringMatching(/^error\[ROTATION_REQUEST_TAMPERED\]: the hash read out is that of the other part .*nothing was signed$/)]);
      expect(wrong.err, label).not.toContain('signed with the key rebuilt');
      expect(existsSync(out), label).toBe(false);
      const right = await cli(['sign', at('req-f2.json'), '--out', out, '--share-card', ...paths, '--expect-hash', mine, '--json']);
      expect(right.code, right.err).toBe(0);
      expect((JSON.parse(readFileSync(out, 'utf8')) as JsonObject).payloadSha256).toBe(mine);
    }
  }, 120_000);

  it('plan refusals, each with its code and the plan path; no request written', async () => {
    const edit = (fn: (d: JsonObject) => void): JsonObject => {
      const p = structuredClone(plan);
      fn(p.delegations as JsonObject);
      return p;
    };
    const cases: [string, JsonObject, string, string][] = [
      ['the role file not in "current"', edit((d) => delete d.current), 'PLAN_INVALID', '$.delegations.revokeTags.role'],
      ['no targets', edit((d) => ((d.revokeTags as JsonObject).targets = [])), 'PLAN_INVALID', '$.delegations.revokeTags.targets'],
      ['an unknown field', edit((d) => ((d.revokeTags as JsonObject).all = true)), 'PLAN_INVALID', '$.delegations.revokeTags.all'],
      ['a tag the file does not list', edit((d) => ((d.revokeTags as JsonObject).targets = ['releases/v9.tar.gz'])), 'TARGET_UNKNOWN', '$.delegations.revokeTags.targets[0]'],
      ['a change that takes no key from the role', edit((d) => { delete d.revokeKeys; d.revokeTargets = []; d.rekey = [{ name: f.rel, threshold: 2 }]; delete d.revokeTargets; }), 'REVOKE_TAGS_INVALID', '$.delegations.revokeTags.role'],
      ['a bad expiry', edit((d) => ((d.revokeTags as JsonObject).expires = 'soon')), 'DATE_INVALID', '$.delegations.revokeTags.expires'],
    ];
    for (const [i, [what, p, code, path]] of cases.entries()) {
      const out = at(`never-${i}.json`);
      const r = await cli(['rotate', writePlan(`bad-${i}.json`, p), '--out', out]);
      expect([what, r.code, r.err.split('\n')[0]], what).toEqual([what, 1, expect.stringMatching(new RegExp(`^error\\[${code}\\]: .*\\(at ${path.replace(/[$.[\]]/g, '\\$&')}\\)$`))]);
      expect(existsSync(out), what).toBe(false);
    }
  }, 120_000);
});
