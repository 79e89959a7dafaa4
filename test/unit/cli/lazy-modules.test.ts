/**
 * Issue #18: `verify` and `inspect` of TUF metadata load neither the QR / bc-ur stack, nor the X.509
 * parser, nor the signers (graphene-pk11 / pkcs11js) — the compiled CLI, run as users run it, with a
 * module-load hook recording every module the process loads, ESM and CommonJS (test/support/module-trace.mjs).
 * `qr --help` and a Notary root (whose certificates need the X.509 reader) are the controls: the same trace
 * does see those modules when a command needs them.
 *
 * The CLI users run is the bundle in dist/cli (vite.cli.config.ts): a loaded chunk stands for the modules
 * bundled into it, which its source map lists — so the trace names the same dist/src modules as before
 * bundling, and a chunk that drags in a heavy module fails here as the module itself would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, REPO, type BuiltCli } from '../../support/cli-build.js';
import { buildRepo } from '../../support/repo.js';

/** Modules a metadata verification must not load: what `qr`, `import`, `sign`, … need. */
const HEAVY = [
  /\/zxing-wasm\//,
  /\/@ngraveio\/bc-ur\//,
  /\/qrcode\//,
  /\/pngjs\//,
  /\/transport\/qr\//,
  /\/bundle\/export\.js$/,
  /\/@peculiar\//,
  /\/pkijs\//,
  /\/asn1js\//,
  /\/graphene-pk11\//,
  /\/pkcs11js\//,
  /\/signers\//,
  /\/shamir\//,
  /\/@noble\/curves\//,
  /\/react(-dom)?\//,
];
/**
 * What `verify` of a TUF folder without attestations.json or attestation flags has no use for either: the
 * attestation checker (X.509 chains, the bundled Yubico roots), the plan reader, the bundle decoder and the
 * ceremony-folder readers.
 */
const VERIFY_UNUSED = [/\/attestation\/(?!attestations-name\.js$)[^/]+\.js(on)?$/, /\/cli\/attestation-options\.js$/, /\/ceremony\/(?!layout\.js$)[^/]+\.js$/, /\/bundle\//, /\/io\/bundle-file\.js$/, /\/io\/ceremony-output\.js$/];

/** A chunk of the bundle (dist/cli/*.js, with its .map) → the modules in it (absolute paths); any other entry as it is. */
function expandChunks(entries: string[]): { modules: string[]; chunks: string[] } {
  const modules: string[] = [];
  const chunks: string[] = [];
  for (const entry of entries) {
    const path = entry.startsWith('file:') ? fileURLToPath(entry) : undefined;
    if (path === undefined || !/[/\\]dist[/\\]cli[/\\][^/\\]+\.js$/.test(path) || !existsSync(`${path}.map`)) {
      modules.push(entry);
      continue;
    }
    chunks.push(path);
    const map = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as { sources: string[]; sourceRoot?: string };
    for (const source of map.sources) modules.push(resolve(dirname(path), map.sourceRoot ?? '', source));
  }
  return { modules, chunks };
}

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

  function loaded(args: string[]): { status: number | null; stdout: string; stderr: string; modules: string[]; chunks: string[] } {
    const trace = join(traces, `trace-${args[0]}-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(trace, '');
    const child = spawnSync(process.execPath, ['--import', join(REPO, 'test', 'support', 'module-trace.mjs'), ...cli.args, ...args], {
      encoding: 'utf8',
      env: { ...process.env, MODULE_TRACE_FILE: trace },
      timeout: 120_000,
    });
    const { modules, chunks } = expandChunks(readFileSync(trace, 'utf8').split('\n').filter(Boolean));
    rmSync(trace, { force: true });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr, modules, chunks };
  }

  const heavy = (modules: string[]) => modules.filter((m) => HEAVY.some((re) => re.test(m)));

  it('verify of a TUF directory loads no QR, bc-ur, X.509, PKCS#11, signer or Shamir module', () => {
    const r = loaded(['verify', dir, '--root', join(dir, '1.root.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('verified: tuf repository');
    expect(r.modules.some((m) => m.endsWith('/tuf/repository.js'))).toBe(true);
    // commander: CommonJS in the require cache unbundled, a source of the bundle's main chunk bundled.
    expect(r.modules.some((m) => m.includes('/commander/'))).toBe(true);
    if (cli.kind === 'dist') {
      // What users run is the bundle, all of it: no module of dist/src is loaded beside its chunks.
      expect(r.chunks.some((c) => c.endsWith('main.js'))).toBe(true);
      expect(r.modules.filter((m) => m.startsWith('file:') && m.includes('/dist/src/'))).toEqual([]);
    }
    expect(heavy(r.modules)).toEqual([]);
    expect(r.modules.filter((m) => VERIFY_UNUSED.some((re) => re.test(m)))).toEqual([]);
  });

  it('verify --json and verify with an attestation flag load none of the heavy modules; the flag loads the attestation checker', () => {
    const json = loaded(['verify', dir, '--root', join(dir, '1.root.json'), '--json']);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).ok).toBe(true);
    expect(heavy(json.modules)).toEqual([]);
    // --require-attestation without attestations.json: refused, so the checker did run.
    const required = loaded(['verify', dir, '--root', join(dir, '1.root.json'), '--require-attestation']);
    expect(required.status).toBe(1);
    expect(required.stderr).toMatch(/^error\[ATTESTATION_MISSING\]/);
    expect(required.modules.some((m) => m.endsWith('/attestation/repository.js'))).toBe(true);
    expect(heavy(required.modules)).toEqual([]);
  });

  it('inspect of a TUF directory and of a single root file loads none of them either', () => {
    for (const input of [dir, join(dir, 'root.json')]) {
      const r = loaded(['inspect', input, '--root', join(dir, '1.root.json')]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.modules.some((m) => m.endsWith('/inspect/inspect.js'))).toBe(true);
      expect(heavy(r.modules)).toEqual([]);
    }
  });

  it('control: a Notary root shows the X.509 reader in the trace; its canonical certificates need no ASN.1 package (issue #17)', async () => {
    const notary = await buildRepo('notary');
    const root = join(dir, '..', `${basename(dir)}-notary-root.json`);
    writeFileSync(root, notary.roots[0]!);
    try {
      const r = loaded(['verify', root, '--root', root]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('verified: notary repository');
      expect(r.modules.some((m) => m.endsWith('/profiles/x509-der.js'))).toBe(true);
      // profiles/x509-der.ts reads certificates of the common DER shape; the schema decoder (required
      // lazily) is loaded only for any other certificate. CommonJS loads are seen: commander, above.
      expect(r.modules.some((m) => m.includes('/@peculiar/asn1-x509/'))).toBe(false);
    } finally {
      rmSync(root, { force: true });
    }
  });

  it('--version (and -V) prints the version and loads no command module', () => {
    for (const flag of ['--version', '-V']) {
      const r = loaded([flag]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
      expect(heavy(r.modules)).toEqual([]);
      expect(r.modules.filter((m) => /\/cli\/(?!main|program|output|attestation-flags)[^/]+\.js$/.test(m))).toEqual([]);
    }
    // The control: help lists every command, so it loads them all.
    expect(loaded(['--help']).modules.some((m) => /\/cli\/qr\.js$/.test(m))).toBe(true);
  });

  it('control: the hook sees the QR stack when the command needs it (qr --help)', () => {
    const r = loaded(['qr', '--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.modules.some((m) => /\/transport\/qr\//.test(m))).toBe(true);
    expect(heavy(r.modules).length).toBeGreaterThan(0);
    // The CommonJS part of the trace is there: bc-ur requires its CommonJS dependencies.
    expect(r.modules.some((m) => m.startsWith('cjs:') && m.includes('/@ngraveio/bc-ur/'))).toBe(true);
  });
});
