/**
 * Issue #18: the signature pool (io/signature-pool.ts) spreads a batch's checks over worker threads and the
 * caller's. Real worker threads run the compiled module (dist/src, or a private build: test/support/cli-build.ts),
 * since a worker cannot load the TypeScript sources vitest runs. Whatever the workers do — check, fail to
 * start, or claim chunks and never finish — every outcome the pool gives is the profile's own verdict
 * (1 = verified) or "not checked" (0, for the walk to check), never a 1 for a signature that does not verify.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignaturePool as createSourcePool } from '../../../src/io/signature-pool.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import type { SignatureCheck } from '../../../src/tuf/signature-batch.js';
import { builtCli, type BuiltCli } from '../../support/cli-build.js';
import { makeKey, type TestKeyKind } from '../../support/keys.js';
import { getProfile } from '../../../src/profiles/index.js';

type CreatePool = typeof createSourcePool;

let cli: BuiltCli;
let createPool: CreatePool;
let tmp: string;

beforeAll(async () => {
  cli = builtCli();
  ({ createSignaturePool: createPool } = (await import(pathToFileURL(join(cli.srcDir, 'io', 'signature-pool.js')).href)) as { createSignaturePool: CreatePool });
  tmp = mkdtempSync(join(tmpdir(), 'tufc-pool-'));
}, 180_000);

afterAll(() => {
  cli?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/**
 * Checks over every key kind the profiles verify, half of them of signatures that do not verify (a bit
 * flipped in the signature, or the data), with what the profile itself says of each. The compiled pool
 * calls its own copy of the profile, which gets its own decoded keys: the checks hold keys decoded by it.
 */
async function mixedChecks(count: number, compiled = true): Promise<{ checks: SignatureCheck[]; expected: number[] }> {
  const kinds: [ProfileName, TestKeyKind][] = [
    ['tuf', 'ed25519'],
    ['tuf', 'ecdsa-p256'],
    ['tuf', 'ecdsa-p384'],
    ['tuf', 'rsa'],
    ['notary', 'ecdsa-x509'],
    ['notary', 'ed25519'],
  ];
  const profiles = compiled ? ((await import(pathToFileURL(join(cli.srcDir, 'profiles', 'index.js')).href)) as { getProfile: typeof getProfile }) : { getProfile };
  const base: { check: SignatureCheck; ok: boolean }[] = [];
  for (const [profileName, kind] of kinds) {
    const k = await makeKey(profileName, kind);
    const profile = profiles.getProfile(profileName);
    const key = profile.parseKey(k.json, '$');
    const data = new TextEncoder().encode(`signed by a ${kind} key for ${profileName}`);
    const signature = profile.decodeSignature(profile.encodeSignature(k.keyId, key, await k.sign(data)), key, '$');
    const flipped = Uint8Array.from(signature);
    flipped[flipped.length >> 1]! ^= 1;
    const otherData = Uint8Array.from(data);
    otherData[0]! ^= 1;
    for (const check of [
      { profile, key, signature, data },
      { profile, key, signature: flipped, data },
      { profile, key, signature, data: otherData },
    ]) {
      base.push({ check, ok: profile.verify(check.key, check.signature, check.data) });
    }
  }
  expect(base.map((b) => b.ok).filter(Boolean)).toHaveLength(kinds.length);
  const picked = Array.from({ length: count }, (_, i) => base[(i * 7) % base.length]!);
  return { checks: picked.map((p) => p.check), expected: picked.map((p) => (p.ok ? 1 : 0)) };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The pool starts at most one worker fewer than the cores: these need one. */
const withWorkers = it.skipIf(availableParallelism() < 2);

describe('signature pool (issue #18)', () => {
  withWorkers('worker threads check part of each batch, with the profile’s verdicts, for every key kind', async () => {
    const { checks, expected } = await mixedChecks(3000);
    const pool = createPool({ threads: 1, minChecks: 1 });
    try {
      for (let round = 0; round < 20 && pool.stats.byWorkers === 0; round++) {
        expect([...pool.verifyAll(checks)]).toEqual(expected);
        // The worker starts while the caller checks; give it time before the next batch.
        await settle(100);
      }
      expect(pool.stats.byWorkers).toBeGreaterThan(0);
      expect([...pool.verifyAll(checks)]).toEqual(expected);
    } finally {
      await pool.close();
    }
  }, 120_000);

  withWorkers('submit returns at once and the workers check while the caller does other work; the outcomes come when asked for', async () => {
    const { checks, expected } = await mixedChecks(600);
    const pool = createPool({ threads: 1, minChecks: 1 });
    try {
      pool.expect(1);
      await settle(300);
      const finish = pool.submit(checks);
      expect(pool.stats.batches).toBe(0);
      // The caller is elsewhere (here: waiting); the worker takes chunks meanwhile.
      await settle(500);
      expect([...finish()]).toEqual(expected);
      expect(pool.stats.batches).toBe(1);
      expect(pool.stats.byWorkers).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it('a batch under minChecks, or a pool of no threads, comes back unchecked (all 0) for the walk to check', async () => {
    const { checks } = await mixedChecks(40);
    for (const pool of [createPool({ threads: 1, minChecks: 41 }), createPool({ threads: 0, minChecks: 1 })]) {
      expect([...pool.verifyAll(checks)]).toEqual(new Array(40).fill(0));
      expect(pool.stats.batches).toBe(0);
      await pool.close();
    }
  });

  withWorkers('checks announced (expect) start the workers ahead; then a batch smaller than minChecks goes to them too', async () => {
    const { checks, expected } = await mixedChecks(100);
    const idle = createPool({ threads: 1 });
    expect([...idle.verifyAll(checks)]).toEqual(new Array(100).fill(0));
    idle.expect(511);
    expect([...idle.verifyAll(checks)]).toEqual(new Array(100).fill(0));
    expect(idle.stats.batches).toBe(0);
    await idle.close();
    const pool = createPool({ threads: 1 });
    try {
      pool.expect(512);
      await settle(300);
      expect([...pool.verifyAll(checks)]).toEqual(expected);
      expect([...pool.verifyAll(checks.slice(0, 63))]).toEqual(new Array(63).fill(0));
      expect(pool.stats.batches).toBe(1);
    } finally {
      await pool.close();
    }
  });

  withWorkers('a worker that cannot start: the caller checks the batch it sent, then the worker is dropped and later batches come back unchecked, for the walk; no crash', async () => {
    const { checks, expected } = await mixedChecks(600);
    const pool = createPool({ threads: 2, minChecks: 1, workerUrl: pathToFileURL(join(tmp, 'no-such-worker.js')) });
    try {
      expect([...pool.verifyAll(checks)]).toEqual(expected);
      // The worker's error arrives on the event loop: it is dropped.
      await settle(300);
      expect([...pool.verifyAll(checks)]).toEqual(new Array(checks.length).fill(0));
      expect(pool.stats).toMatchObject({ batches: 1, byWorkers: 0 });
    } finally {
      await pool.close();
    }
    // The sources' pool (vitest), whose worker module (signature-worker.js) is not compiled beside it: the same.
    const source = createSourcePool({ threads: 1, minChecks: 1 });
    try {
      const own = await mixedChecks(300, false);
      expect([...source.verifyAll(own.checks)]).toEqual(own.expected);
      await settle(300);
      expect([...source.verifyAll(own.checks)]).toEqual(new Array(300).fill(0));
      expect(source.stats).toMatchObject({ batches: 1, byWorkers: 0 });
    } finally {
      await source.close();
    }
  });

  withWorkers('a worker that claims chunks and never finishes them: the caller stops waiting after stallMs, and those checks come back unchecked (0), never verified', async () => {
    const hanging = join(tmp, 'hanging-worker.mjs');
    // Claims one chunk of each batch (the shared NEXT_CHUNK slot) and never checks it.
    writeFileSync(hanging, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (b) => { Atomics.add(b.control, 0, 1); });\n");
    const { checks, expected } = await mixedChecks(640);
    const pool = createPool({ threads: 1, minChecks: 1, stallMs: 300, workerUrl: pathToFileURL(hanging) });
    try {
      let unchecked = 0;
      for (let round = 0; round < 20 && unchecked === 0; round++) {
        const t = performance.now();
        const outcomes = [...pool.verifyAll(checks)];
        outcomes.forEach((o, i) => {
          if (o === 1) expect(expected[i]).toBe(1);
          else if (expected[i] === 1) unchecked++;
        });
        if (unchecked) expect(performance.now() - t).toBeGreaterThanOrEqual(250);
        await settle(100);
      }
      // One chunk (32 checks) left unchecked, its valid signatures among them.
      expect(unchecked).toBeGreaterThan(0);
      expect(unchecked).toBeLessThanOrEqual(32);
      // The stuck worker is stopped: the next batch waits for nobody and comes back unchecked, for the walk.
      const t = performance.now();
      expect([...pool.verifyAll(checks)]).toEqual(new Array(checks.length).fill(0));
      expect(performance.now() - t).toBeLessThan(250);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
