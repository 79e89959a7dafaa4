/**
 * Long-running helper processes for the token harnesses (swtpm, dbus-daemon, tpm2-abrmd, pkcsslotd):
 * started by a test, waited for until they answer, and stopped by it — SIGTERM, then SIGKILL after a
 * grace period — also when the test fails. A process still running when the test process exits is
 * killed then, so a crashed run leaves nothing behind. Generous timeouts: the CI machine has 2 loaded
 * cores, and nothing here asserts on time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** What it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Whether it has exited (and with what). */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called on each line of stdout/stderr (for daemons that say when they are ready). */
  onLine?: (line: string) => void;
}

/** Spawn `bin args` without a shell, tracked and with its output kept. */
export function startDaemon(name: string, bin: string, args: string[], opts: DaemonOptions = {}): Daemon {
  const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  let partial = '';
  const onData = (b: Buffer): void => {
    const text = b.toString('utf8');
    out += text;
    if (out.length > 200_000) out = out.slice(-100_000);
    if (!opts.onLine) return;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) opts.onLine(l);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      out += `\n[spawn error: ${err.message}]`;
      exit = { code: -1, signal: null };
      resolve();
    });
  });
  return {
    name,
    pid: child.pid ?? -1,
    output: () => out,
    exited: () => exit,
    async stop(graceMs = 5_000) {
      if (exit) return;
      child.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Poll `probe` until it returns true, the daemon exits, or `timeoutMs` passes; throws with the daemon's
 * output otherwise.
 */
export async function waitUntil(what: string, probe: () => Promise<boolean>, opts: { daemon?: Daemon; timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const gone = opts.daemon?.exited();
    if (gone) throw new Error(`${opts.daemon!.name} exited (code ${String(gone.code)}, signal ${String(gone.signal)}) before ${what}:\n${opts.daemon!.output()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${opts.daemon ? `; ${opts.daemon.name} said:\n${opts.daemon.output()}` : ''}`);
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(2_000, () => done(false));
  });
}

/**
 * Set `vars` in this process's environment (modules loaded in-process read theirs at C_Initialize);
 * returns a function that puts back what was there.
 */
export function applyEnv(vars: Record<string, string>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
