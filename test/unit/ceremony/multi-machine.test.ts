/**
 * The multi-repository ceremony (src/ceremony/multi-machine.ts) on software rehearsal tokens: Notary and
 * TUF repositories from one plan share the custodians' root keys and the targets key; every repository's
 * files verify as a client would (our core, the Notary certificate rules per GUN); one sealed transcript
 * with one entry per repository; the key inventory says which key holds which role where; outputs are
 * never overwritten (resume: multi-resume.test.ts).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAnyPlan, type MultiRepositoryPlan } from '../../../src/ceremony/multi-plan.js';
import { runMultiCeremony } from '../../../src/ceremony/multi-machine.js';
import { INVENTORY_FILE, parseInventory } from '../../../src/ceremony/inventory.js';
import { RehearsalTokenProvider } from '../../../src/ceremony/tokens.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import type { JsonObject } from '../../../src/json/types.js';
import { openRehearsalTokens } from '../../../src/signers/rehearsal.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { checkNotaryRootCertificates } from '../../../src/tuf/notary-root.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { CeremonyError } from '../../../src/errors.js';
import { statusCommand } from '../../../src/cli/status.js';
import { runCli } from '../../../src/cli/program.js';
import { captureIo } from '../../support/cli-io.js';
import { cleanup, serverKeyFile, sha256, tempDir } from './support.js';

afterEach(cleanup);

async function refusalAsync(fn: () => Promise<unknown>): Promise<CeremonyError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

const NOW = new Date();
const year = (n: number) => new Date(NOW.getTime() + n * 365 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function planJson(dir: string, notary: number, tuf: number): JsonObject {
  const repos: JsonObject[] = [];
  for (let i = 0; i < notary; i++) {
    const name = `registry.example.com/org/app-${i}`;
    const file = `ts-${i}.key`;
    const bytes = serverKeyFile(dir, file);
    repos.push({ name, timestamp: { keyFile: file, sha256: sha256(bytes) } });
  }
  for (let i = 0; i < tuf; i++) repos.push({ name: `example.com/tuf/repo-${i}`, profile: 'tuf' });
  return {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repositories: repos,
    custodians: ['Alice', 'Bob', 'Carol'].map((n) => ({ name: n, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${n.toLowerCase()}` })),
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    // Notary repositories name their server's key; this (software, rehearsal) one is the TUF repositories'.
    timestamp: { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: year(1) },
  } as unknown as JsonObject;
}

async function run(dir: string, json: JsonObject, out = join(dir, 'out')) {
  const bytes = new TextEncoder().encode(JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'plan.json'), bytes);
  const any = parseAnyPlan(bytes, { rehearsal: true });
  if (any.kind !== 'multi') throw new Error('expected a multi plan');
  const tokens = await openRehearsalTokens({ custodians: ['Alice', 'Bob', 'Carol'] });
  const provider = new RehearsalTokenProvider(tokens);
  const softwareKeys = new Map<string, SigningKey>();
  try {
    const result = await runMultiCeremony({ planBytes: bytes, plan: any.plan, planName: 'plan.json', planDir: dir, outDir: out, tokens: provider, softwareKeys, now: () => NOW });
    return { result, plan: any.plan as MultiRepositoryPlan, out };
  } finally {
    await provider.close();
  }
}

describe('a multi-repository ceremony', () => {
  it('3 Notary + 2 TUF repositories: shared keys, per-GUN certificates, one transcript, an inventory', async () => {
    const dir = tempDir();
    const json = planJson(dir, 3, 2);
    const { result, plan, out } = await run(dir, json);
    expect(result.repositories.map((r) => r.dir)).toEqual(plan.repositories.map((r) => `metadata/${r.safeName}`));
    // The layout of a one-repository ceremony (layout.ts): publishable metadata apart from the records.
    expect(readdirSync(out).sort()).toEqual(['metadata', 'state']);
    expect(readdirSync(join(out, 'metadata')).sort()).toEqual(plan.repositories.map((r) => r.safeName).sort());
    expect(readdirSync(join(out, 'state')).sort()).toEqual(['ceremony-state.json', 'key-inventory.json', 'transcript.html', 'transcript.jsonl']);
    expect([result.inventory, result.transcript]).toEqual(['state/key-inventory.json', 'state/transcript.jsonl']);

    const rootFingerprints = new Set<string>();
    for (const r of result.repositories) {
      const folder = join(out, r.dir);
      const read = (n: string) => new Uint8Array(readFileSync(join(folder, n)));
      const root = read('root.json');
      if (r.profile === 'notary') {
        expect(r.metadata).toEqual(['root.json', 'targets.json', 'snapshot.json']);
        const v = verifyRepository({ versionedRoots: new Map([[1, root]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), delegated: new Map() }, { trustedRoot: root, now: NOW, gun: r.name });
        checkNotaryRootCertificates(v.root, NOW, r.name);
        for (const k of v.root.signed.roles.get('root')!.keyids) rootFingerprints.add(v.root.signed.keys.get(k)!.key.fingerprint);
      } else {
        expect(r.metadata).toEqual(['root.json', '1.root.json', 'targets.json', 'snapshot.json', 'timestamp.json']);
        const v = verifyRepository(
          { versionedRoots: new Map([[1, root]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: read('timestamp.json'), delegated: new Map() },
          { trustedRoot: root, now: NOW, requireComplete: true },
        );
        for (const k of v.root.signed.roles.get('root')!.keyids) rootFingerprints.add(v.root.signed.keys.get(k)!.key.fingerprint);
      }
    }
    // Three custodians' root keys, the same in every repository (Notary certificate IDs differ per GUN).
    expect(rootFingerprints.size).toBe(3);
    const notaryIds = result.repositories.filter((r) => r.profile === 'notary').map((r) => r.rootKeyIds[0]);
    expect(new Set(notaryIds).size).toBe(3);
    const tufIds = result.repositories.filter((r) => r.profile === 'tuf').map((r) => r.rootKeyIds[0]);
    expect(new Set(tufIds).size).toBe(1);
    // Alice's shared targets key: one key ID per profile (Notary and TUF list keys differently).
    for (const profile of ['notary', 'tuf']) expect(new Set(result.repositories.filter((r) => r.profile === profile).map((r) => r.keyIds.targets)).size).toBe(1);

    const t = verifyTranscript(new Uint8Array(readFileSync(join(out, result.transcript))), { expectedSealKeyId: result.sealKeyId });
    expect(t.sealed).toBe(true);
    expect(t.header.repository).toBe('registry.example.com/org/app-0 and 4 more repositories');
    expect(t.entries.filter((e) => e.step === 'repository.write')).toHaveLength(5);
    expect(t.entries.filter((e) => e.step === 'key.generate')).toHaveLength(plan.keys.length);

    const inv = parseInventory(new Uint8Array(readFileSync(join(out, 'state', INVENTORY_FILE))));
    const alice = inv.keys.find((k) => k.custodian === 'Alice' && k.label === 'root-alice')!;
    expect(alice.roles.map((x) => [x.role, x.repository]).sort()).toEqual(result.repositories.map((r) => ['root', r.name]).sort());
    expect(alice.roles.filter((x) => x.profile === 'notary').every((x) => x.certificateExpires === plan.root.expires.text)).toBe(true);
    const targets = inv.keys.find((k) => k.label === 'targets')!;
    expect(targets.roles).toHaveLength(5);
    // Notary's timestamp keys are the servers' (one per GUN), recorded as such.
    expect(inv.keys.filter((k) => k.origin === 'server')).toHaveLength(3);
    expect(result.tokenSignatures).toBeGreaterThan(0);

    // `status` on one repository's folder names who renews what, from the inventory.
    const lines: string[] = [];
    const code = await statusCommand(join(out, result.repositories[0]!.dir), { json: true }, { out: (l) => void lines.push(l), err: () => undefined });
    expect(code).toBe(0);
    const report = JSON.parse(lines.join('')) as { items: { name: string; renewedBy?: unknown }[] };
    const text = JSON.stringify(report.items);
    expect(text).toContain('"holder":"Alice"');
    expect(text).toContain('"holder":"Carol"');
  }, 120_000);

  it('each repository folder is taken as it is by verify, inspect, bundle create and bundle set', async () => {
    const dir = tempDir();
    const { result, out } = await run(dir, planJson(dir, 1, 1));
    const cli = async (args: string[]) => {
      const c = captureIo();
      const code = await runCli(args, c.io);
      return { code, out: c.out.join('\n'), err: c.err.join('\n') };
    };
    const bundles: string[] = [];
    for (const r of result.repositories) {
      const folder = join(out, r.dir);
      const v = await cli(['verify', folder, '--root', join(folder, 'root.json'), '--json']);
      expect(v.code, v.err).toBe(0);
      const i = await cli(['inspect', folder, '--json']);
      expect(i.code, i.err).toBe(0);
      const file = join(dir, `${r.profile}.tufbundle`);
      const b = await cli(['bundle', 'create', folder, '--kind', 'trust-bundle', '--out', file, '--json']);
      expect(b.code, b.err).toBe(0);
      // Named after the repository, not its percent-encoded folder (TUF metadata names none).
      expect((JSON.parse(b.out) as { repository: string }).repository).toBe(r.name);
      bundles.push(file);
    }
    // A set of one profile (one bundle each): the Notary one.
    const set = await cli(['bundle', 'set', bundles[0]!, '--out', join(dir, 'set.tufbundle'), '--json']);
    expect(set.code, set.err).toBe(0);
    // The ceremony's records are not metadata: the output folder as a whole is not one repository.
    for (const args of [['verify', out, '--root', join(out, result.repositories[0]!.dir, 'root.json')], ['inspect', out], ['bundle', 'create', out, '--kind', 'trust-bundle', '--out', join(dir, 'whole.tufbundle')]]) {
      const whole = await cli(args);
      expect(whole.code, args[0]).toBe(1);
      expect(whole.err, args[0]).toMatch(/^error\[UNEXPECTED_FILE\]: out is the output of a multi-repository ceremony, one folder per repository in metadata\/: give one repository's folder/);
    }
  }, 120_000);

  it('refuses an output folder that holds a complete ceremony, writing nothing (resume: multi-resume.test.ts)', async () => {
    const dir = tempDir();
    const json = planJson(dir, 1, 1);
    const { out } = await run(dir, json);
    const before = readdirSync(out).sort();
    const err = await refusalAsync(() => run(dir, json, out));
    expect(err.code).toBe('CEREMONY_COMPLETE');
    expect(readdirSync(out).sort()).toEqual(before);
  }, 120_000);

  it('a failure right after a repository is written stops the ceremony: earlier entries kept, nothing after', async () => {
    const dir = tempDir();
    const json = planJson(dir, 3, 0);
    const bytes = new TextEncoder().encode(JSON.stringify(json, null, 2));
    writeFileSync(join(dir, 'plan.json'), bytes);
    const any = parseAnyPlan(bytes, { rehearsal: true });
    if (any.kind !== 'multi') throw new Error('expected a multi plan');
    const names = any.plan.repositories.map((r) => r.name);
    const provider = new RehearsalTokenProvider(await openRehearsalTokens({ custodians: ['Alice', 'Bob', 'Carol'] }));
    const out = join(dir, 'out');
    const written: string[] = [];
    try {
      const err = await refusalAsync(() =>
        runMultiCeremony({
          planBytes: bytes,
          plan: any.plan,
          planName: 'plan.json',
          planDir: dir,
          outDir: out,
          tokens: provider,
          softwareKeys: new Map(),
          now: () => NOW,
          onRepository: (_done, _total, repo) => void written.push(repo.name),
          fault: (point) => {
            if (point === `written:${names[1]}`) throw new CeremonyError('USAGE', 'injected after the second repository was written');
          },
        }),
      );
      expect(err.code).toBe('USAGE');
    } finally {
      await provider.close();
    }
    expect(written).toEqual([names[0]]);
    // The second repository's files were written (the fault came after them); the third's never.
    expect(readdirSync(join(out, 'metadata')).sort()).toEqual(any.plan.repositories.slice(0, 2).map((r) => r.safeName).sort());
    const t = verifyTranscript(new Uint8Array(readFileSync(join(out, 'state', 'transcript.jsonl'))), { allowUnsealed: true });
    const steps = t.entries.map((e) => e.step);
    expect(steps.filter((s) => s === 'repository.write')).toHaveLength(1);
    expect(steps[steps.length - 1]).toBe('ceremony.interrupted');
  });
});
