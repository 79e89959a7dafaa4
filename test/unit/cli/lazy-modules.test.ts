/**
 * Issue #18: `verify` and `inspect` of TUF metadata load neither the QR / bc-ur stack, nor the X.509
 * parser, nor the signers — the compiled CLI, run as users run it, with a module-load hook recording every
 * module the process loads (test/support/module-trace.mjs). `qr --help` is the control: the same hook
 * does see the QR modules when a command needs them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, REPO, type BuiltCli } from '../../support/cli-build.js';
import { buildRepo } from '../../support/repo.js';

/** Modules a metadata verification must not load: what `qr`, `import`, `sign`, … need. */
const HEAVY = [/\/zxing-wasm\//, /\/@ngraveio\/bc-ur\//, /\/qrcode\//, /\/pngjs\//, /\/transport\/qr\//, /\/bundle\/export\.js$/, /\/@peculiar\//, /\/signers\//, /\/shamir\//, /\/@noble\/curves\//];

describe('lazy command modules (issue #18)', () => {
  let cli: BuiltCli;
  let dir: string;
  let traces: string;
  beforeAll(async () => {
    cli = builtCli();
    const r = await buildRepo('tuf', { rootVersions: 2 });
    dir = mkdtempSync(join(tmpdir(), 'tufc-lazy-'));
    traces = mkdtempSync(join(tmpdir(), 'tufc-lazy-trace-'));
    writeFileSync(join(dir, '1.root.json'), r.roots[0]!);
    writeFileSync(join(dir, '2.root.json'), r.roots[1]!);
    writeFileSync(join(dir, 'root.json'), r.roots[1]!);
    writeFileSync(join(dir, 'targets.json'), r.targets);
    writeFileSync(join(dir, 'snapshot.json'), r.snapshot);
    writeFileSync(join(dir, 'timestamp.json'), r.timestamp);
    writeFileSync(join(dir, `${r.delegationName}.json`), r.delegated);
  }, 300_000);
  afterAll(() => {
    cli?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (traces) rmSync(traces, { recursive: true, force: true });
  });

  function loaded(args: string[]): { status: number | null; stdout: string; stderr: string; modules: string[] } {
    const trace = join(traces, `trace-${args[0]}-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(trace, '');
    const child = spawnSync(process.execPath, ['--import', join(REPO, 'test', 'support', 'module-trace.mjs'), ...cli.args, ...args], {
      encoding: 'utf8',
      env: { ...process.env, MODULE_TRACE_FILE: trace },
      timeout: 120_000,
    });
    const modules = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    rmSync(trace, { force: true });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr, modules };
  }

  const heavy = (modules: string[]) => modules.filter((m) => HEAVY.some((re) => re.test(m)));

  it('verify of a TUF directory loads no QR, bc-ur, X.509, signer or Shamir module', () => {
    const r = loaded(['verify', dir, '--root', join(dir, '1.root.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('verified: tuf repository');
    expect(r.modules.some((m) => m.endsWith('/tuf/repository.js'))).toBe(true);
    expect(heavy(r.modules)).toEqual([]);
  });

  it('inspect of a TUF directory and of a single root file loads none of them either', () => {
    for (const input of [dir, join(dir, 'root.json')]) {
      const r = loaded(['inspect', input, '--root', join(dir, '1.root.json')]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.modules.some((m) => m.endsWith('/inspect/inspect.js'))).toBe(true);
      expect(heavy(r.modules)).toEqual([]);
    }
  });

  it('control: the hook sees the QR stack when the command needs it (qr --help)', () => {
    const r = loaded(['qr', '--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.modules.some((m) => /\/transport\/qr\//.test(m))).toBe(true);
    expect(heavy(r.modules).length).toBeGreaterThan(0);
  });
});
