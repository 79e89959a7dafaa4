/**
 * A multi-repository ceremony large enough for its defaults to change how it writes (issue #17): 64 Notary
 * repositories are written two at a time (writeGroupSize: group commits of a 32nd of the plan) and their
 * root certificates read back through OpenSSL by a certificate read-back pool (in these TypeScript sources
 * its compiled worker is absent, so the pool's fallback to the caller's thread is what runs here; the
 * worker itself: test/unit/io/certificate-readback-pool.test.ts). The output is what a smaller plan's is,
 * repository by repository; an interruption inside a group resumes to the same output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAnyPlan } from '../../../src/ceremony/multi-plan.js';
import { runMultiCeremony, writeGroupSize } from '../../../src/ceremony/multi-machine.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import type { JsonObject } from '../../../src/json/types.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { checkNotaryRootCertificates } from '../../../src/tuf/notary-root.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { cleanup, filesUnder, recordingTokens, serverKeyFile, sha256, tempDir } from './support.js';

afterEach(cleanup);

const NOW = new Date();
const year = (n: number) => new Date(NOW.getTime() + n * 365 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const CUSTODIANS = ['Alice', 'Bob', 'Carol'];
const COUNT = 64;
const NAMES = Array.from({ length: COUNT }, (_, i) => `registry.example.com/org/app-${String(i).padStart(2, '0')}`);

class Interrupted extends Error {}

async function setup() {
  const dir = tempDir('multi-large-');
  const key = serverKeyFile(dir, 'ts.key');
  const json = {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repositories: NAMES.map((name) => ({ name, timestamp: { keyFile: 'ts.key', sha256: sha256(key) } })),
    custodians: CUSTODIANS.map((n) => ({ name: n, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${n.toLowerCase()}` })),
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
  } as unknown as JsonObject;
  const bytes = new TextEncoder().encode(JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'plan.json'), bytes);
  const any = parseAnyPlan(bytes, { rehearsal: true });
  if (any.kind !== 'multi') throw new Error('expected a multi plan');
  const tokens = await recordingTokens(CUSTODIANS);
  const softwareKeys = new Map<string, SigningKey>();
  const out = join(dir, 'out');
  const run = (fault?: (p: string) => void) =>
    runMultiCeremony({ planBytes: bytes, plan: any.plan, planName: 'plan.json', planDir: dir, outDir: out, tokens: tokens.provider, softwareKeys, now: () => NOW, ...(fault ? { fault } : {}) });
  return { out, run, tokens };
}

describe(`a multi-repository ceremony of ${COUNT} Notary repositories (group commits of ${writeGroupSize(COUNT)})`, () => {
  it('writes every repository as a smaller plan does, and resumes after an interruption inside a group', async () => {
    expect(writeGroupSize(COUNT)).toBe(2);
    expect(writeGroupSize(COUNT - 1)).toBe(1);
    expect(writeGroupSize(1000)).toBe(31);
    expect(writeGroupSize(100_000)).toBe(32);
    const s = await setup();
    // Stopped once the second repository of the sixth group has its root.json: two folders of that group
    // each hold a prefix of their roles, ten repositories are recorded.
    let fired = false;
    await expect(
      s.run((p) => {
        if (!fired && p === `written:${NAMES[11]}/root.json`) {
          fired = true;
          throw new Interrupted('power cut');
        }
      }),
    ).rejects.toBeInstanceOf(Interrupted);
    const result = await s.run();
    expect(result.resumed).toBe(true);
    expect(result.repositoriesDoneBefore).toBe(10);
    expect(result.repositories.map((r) => r.name)).toEqual(NAMES);
    expect(s.tokens.made).toHaveLength(5);
    const files = filesUnder(s.out);
    const t = verifyTranscript(files.get('state/transcript.jsonl')!, { expectedSealKeyId: result.sealKeyId });
    const writes = t.entries.filter((e) => e.step === 'repository.write');
    expect(writes.map((e) => e.note!.split(' ')[2])).toEqual(NAMES);
    for (const e of writes) for (const o of e.outputs) expect(sha256(files.get(o.name)!), o.name).toBe(o.sha256);
    expect(writes.filter((e) => /written before an interruption/.test(e.note!)).map((e) => e.note!.split(' ')[2])).toEqual([NAMES[10], NAMES[11]]);
    for (const r of result.repositories) {
      const read = (n: string) => new Uint8Array(readFileSync(join(s.out, r.dir, n)));
      const root = read('root.json');
      const v = verifyRepository({ versionedRoots: new Map([[1, root]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), delegated: new Map() }, { trustedRoot: root, now: NOW, gun: r.name });
      checkNotaryRootCertificates(v.root, NOW, r.name);
    }
  }, 180_000);
});
