/**
 * The preload as Electron runs it: the CommonJS file the build emits, executed in a fresh V8 context
 * inside the same wrapper a sandboxed renderer uses (electron lib/sandboxed_renderer/init.ts), with a
 * fake `electron` module. It must expose exactly the API, only through contextBridge, and use nothing
 * but ipcRenderer.invoke on the contract's channels.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../electron/shared/channels.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SOURCE = join(ROOT, 'electron', 'preload', 'preload.cts');
const BUILT = join(ROOT, 'dist', 'electron', 'preload', 'preload.cjs');

/** Compile the preload with tsconfig.build.json's own options into a temporary outDir. */
function compileLikeTheBuild(outDir: string): string {
  const configPath = join(ROOT, 'tsconfig.build.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(configPath));
  const program = ts.createProgram([SOURCE], { ...parsed.options, outDir, sourceMap: false, noEmitOnError: true });
  const result = program.emit();
  const errors = ts.getPreEmitDiagnostics(program).concat(result.diagnostics).filter((d) => d.category === ts.DiagnosticCategory.Error);
  expect(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  const out = join(outDir, 'electron', 'preload', 'preload.cjs');
  expect(existsSync(out), 'the build emits electron/preload/preload.cjs').toBe(true);
  return readFileSync(out, 'utf8');
}

interface Run {
  exposed: [string, unknown][];
  invokes: unknown[][];
  ipcRendererProps: Set<PropertyKey>;
  electronProps: Set<PropertyKey>;
  requested: string[];
  forbidden: unknown[];
}

function runAsSandboxedPreload(source: string): Run {
  const run: Run = { exposed: [], invokes: [], ipcRendererProps: new Set(), electronProps: new Set(), requested: [], forbidden: [] };
  const invoke = (...args: unknown[]) => {
    run.invokes.push(args);
    return Promise.resolve({ ok: true, value: 'answer' });
  };
  const ipcRenderer = new Proxy(
    { invoke },
    {
      get(target, prop) {
        run.ipcRendererProps.add(prop);
        return Reflect.get(target, prop);
      },
    },
  );
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => run.exposed.push([key, api]) };
  const electron = new Proxy(
    { ipcRenderer, contextBridge },
    {
      get(target, prop) {
        run.electronProps.add(prop);
        return Reflect.get(target, prop);
      },
    },
  );
  run.forbidden.push(ipcRenderer, invoke, electron, contextBridge);
  const fakeRequire = (name: string) => {
    run.requested.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name}`); // what a sandboxed preload gets for anything else
  };
  // Node-ish globals a sandboxed preload is handed but this one must not need.
  const untouchable = (what: string) =>
    new Proxy(
      {},
      {
        get() {
          throw new Error(`preload touched ${what}`);
        },
      },
    );
  const wrapper = `(function(require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${source}\n})`;
  const fn = vm.runInNewContext(wrapper, {}, { filename: 'preload.cjs' }) as (...args: unknown[]) => void;
  const exports = {};
  fn(fakeRequire, untouchable('process'), untouchable('Buffer'), untouchable('global'), undefined, undefined, exports, { exports });
  return run;
}

/** Every value reachable from `root` through own properties (functions included). */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const todo = [root];
  while (todo.length) {
    const v = todo.pop();
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) continue;
    seen.add(v);
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d && 'value' in d) todo.push(d.value);
    }
  }
  return [...seen];
}

const outDir = mkdtempSync(join(tmpdir(), 'tufc-preload-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const variants: [string, () => string][] = [['compiled with tsconfig.build.json', () => compileLikeTheBuild(outDir)]];
// After `npm run build` (as in `npm test`), the shipped file is checked too.
if (existsSync(BUILT)) variants.push(['dist/electron/preload/preload.cjs', () => readFileSync(BUILT, 'utf8')]);

describe.each(variants)('preload (%s)', (_name, load) => {
  const source = load();
  const run = runAsSandboxedPreload(source);

  it('requires nothing but electron (a sandboxed preload cannot load relative files)', () => {
    expect(run.requested).toEqual(['electron']);
    expect(source).not.toMatch(/require\(\s*["'](?!electron["'])/);
    expect(source).not.toMatch(/\bimport\s*\(|^\s*import\s|^\s*export\s/m);
  });

  it("exposes one object, as window.tufCeremony, through contextBridge", () => {
    expect(run.exposed).toHaveLength(1);
    expect(run.exposed[0]![0]).toBe('tufCeremony');
    // Only these two exports of electron are ever read (ipcRenderer lazily, when a function is called).
    for (const prop of run.electronProps) expect(['contextBridge', 'ipcRenderer']).toContain(prop);
  });

  it('exposes exactly the API functions, one per channel', () => {
    const api = run.exposed[0]![1] as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual(Object.keys(CHANNELS).sort());
    for (const [name, value] of Object.entries(api)) expect(typeof value, name).toBe('function');
  });

  it('never exposes ipcRenderer, its invoke, contextBridge or the electron module', () => {
    const values = reachable(run.exposed[0]![1]);
    for (const bad of run.forbidden) expect(values.includes(bad)).toBe(false);
  });

  it('each function invokes its own channel with at most the one payload, and returns the answer', async () => {
    const api = run.exposed[0]![1] as Record<string, (...args: unknown[]) => Promise<unknown>>;
    run.invokes.length = 0;
    expect(await api.appInfo!('ignored', 'extra')).toEqual({ ok: true, value: 'answer' });
    const payload = { files: [{ name: 'root.json', bytes: new Uint8Array([1]) }] };
    expect(await api.inspectFiles!(payload, 'extra')).toEqual({ ok: true, value: 'answer' });
    // The request that carries a PIN is passed through as the same object, nothing added or kept.
    const generate = { module: 'softhsm2', token: { serial: '1', label: 'a' }, algorithm: 'ecdsa-p256', keyLabel: 'k', pin: 'secret' };
    expect(await api.tokensGenerateKey!(generate, 'extra')).toEqual({ ok: true, value: 'answer' });
    expect(run.invokes).toEqual([[CHANNELS.appInfo], [CHANNELS.inspectFiles, payload], [CHANNELS.tokensGenerateKey, generate]]);
    expect(run.invokes[1]![1]).toBe(payload);
    expect(run.invokes[2]![1]).toBe(generate);
    // Only invoke: no send/sendSync/on, nothing that would let the page listen on or spoof channels.
    expect([...run.ipcRendererProps]).toEqual(['invoke']);
    expect([...run.electronProps].sort()).toEqual(['contextBridge', 'ipcRenderer']);
  });

  it('names every channel exactly as electron/shared/channels.ts does', async () => {
    const api = run.exposed[0]![1] as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const [key, channel] of Object.entries(CHANNELS)) {
      run.invokes.length = 0;
      await api[key]!({});
      expect(run.invokes[0]![0], key).toBe(channel);
    }
  });
});
