/**
 * Issue #18: `verify --threads N` checks a long root chain's signatures on N worker threads beside the main
 * one (io/signature-pool.ts); what it reports is the same whatever N, and N is checked like every number
 * the CLI takes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { builtCli, REPO, type BuiltCli } from '../../support/cli-build.js';
import { captureIo } from '../../support/cli-io.js';
import { buildRepo } from '../../support/repo.js';

let cli: BuiltCli;
let dir: string;
let pin: string;
let traces: string;

beforeAll(async () => {
  cli = builtCli();
  // 300 root versions, threshold 2 of 3, one key replaced per version: 299 steps of at least 2 checks each
  // announced, past the pool's 512, so the compiled CLI starts its worker (and about 900 checks made).
  // ECDSA P-384 keys: about 1 ms a check, so the main thread is busy long enough for the worker to start
  // even on a loaded machine (with Ed25519 the main thread could finish first and close the pool).
  const r = await buildRepo('tuf', { rootVersions: 300, rootKind: 'ecdsa-p384' });
  dir = mkdtempSync(join(tmpdir(), 'tufc-verify-threads-'));
  r.roots.forEach((bytes, i) => writeFileSync(join(dir, `${i + 1}.root.json`), bytes));
  writeFileSync(join(dir, 'root.json'), r.roots[r.roots.length - 1]!);
  writeFileSync(join(dir, 'timestamp.json'), r.timestamp);
  writeFileSync(join(dir, 'snapshot.json'), r.snapshot);
  writeFileSync(join(dir, 'targets.json'), r.targets);
  writeFileSync(join(dir, `${r.delegationName}.json`), r.delegated);
  pin = join(dir, '1.root.json');
  traces = mkdtempSync(join(tmpdir(), 'tufc-verify-threads-trace-'));
}, 180_000);

afterAll(() => {
  cli?.cleanup();
  for (const d of [dir, traces]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('verify --threads', () => {
  it('the compiled CLI reports the same chain and roles with worker threads as without', () => {
    const run = (threads: string) => spawnSync(process.execPath, [...cli.args, 'verify', dir, '--root', pin, '--json', '--threads', threads], { encoding: 'utf8' });
    const without = run('0');
    expect(without.status, without.stderr).toBe(0);
    const parsed = JSON.parse(without.stdout) as { rootVersion: number; rootChain: unknown[] };
    expect(parsed.rootVersion).toBe(300);
    expect(parsed.rootChain).toHaveLength(299);
    for (const threads of ['1', '3']) {
      const withWorkers = run(threads);
      expect(withWorkers.status, withWorkers.stderr).toBe(0);
      expect(withWorkers.stdout).toBe(without.stdout);
    }
  }, 60_000);

  it.skipIf(availableParallelism() < 2)('the compiled CLI starts its worker from the module beside the pool (a worker that cannot start would go unnoticed: the caller checks everything then)', () => {
    const loaded = (threads: string) => {
      // Beside the folder, not in it: verify refuses a folder with files it does not know.
      const trace = join(traces, `trace-${threads}.txt`);
      writeFileSync(trace, '');
      const child = spawnSync(process.execPath, ['--import', join(REPO, 'test', 'support', 'module-trace.mjs'), ...cli.args, 'verify', dir, '--root', pin, '--threads', threads], {
        encoding: 'utf8',
        env: { ...process.env, MODULE_TRACE_FILE: trace },
      });
      expect(child.status, child.stderr).toBe(0);
      return readFileSync(trace, 'utf8');
    };
    expect(loaded('1')).toMatch(/\/io\/signature-worker\.js$/m);
    expect(loaded('0')).not.toMatch(/signature-worker/);
  }, 60_000);

  it.each(['-1', '65', '1.5', 'two', '', '0x2'])('refuses --threads %j (USAGE, exit 2)', async (threads) => {
    const io = captureIo();
    expect(await runCli(['verify', dir, '--root', pin, '--threads', threads], io.io)).toBe(2);
    expect(io.err.join('\n')).toMatch(/USAGE.*--threads must be a whole number from 0 to 64/);
  });

  it.skipIf(availableParallelism() > 64)('a --threads above cores − 1 is lowered, and said on stderr only (the report and --json unchanged)', async () => {
    const asked = captureIo();
    const none = captureIo();
    expect(await runCli(['verify', dir, '--root', pin, '--json', '--threads', '64'], asked.io)).toBe(0);
    expect(await runCli(['verify', dir, '--root', pin, '--json', '--threads', '0'], none.io)).toBe(0);
    const cores = availableParallelism();
    expect(asked.err).toEqual([`note: --threads 64 lowered to ${cores - 1}: this machine gives ${cores} core(s), and one is the main thread's`]);
    expect(asked.out).toEqual(none.out);
    expect(none.err).toEqual([]);
    // Not lowered: nothing said.
    const fits = captureIo();
    expect(await runCli(['verify', dir, '--root', pin, '--threads', String(cores - 1)], fits.io)).toBe(0);
    expect(fits.err).toEqual([]);
  }, 60_000);

  it('in process (the sources, whose worker is not compiled): the same report', async () => {
    const a = captureIo();
    const b = captureIo();
    expect(await runCli(['verify', dir, '--root', pin, '--json', '--threads', '0'], a.io)).toBe(0);
    expect(await runCli(['verify', dir, '--root', pin, '--json', '--threads', '2'], b.io)).toBe(0);
    expect(b.out).toEqual(a.out);
  }, 60_000);
});
