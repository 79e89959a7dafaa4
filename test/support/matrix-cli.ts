/**
 * The CLI as the module-matrix suites drive it: `runCli` in-process (as bin/tuf-ceremony.js runs it), its
 * stdout and stderr kept apart; `json` adds `--json` and throws with both when the exit status is not 0.
 */
import { runCli } from '../../src/cli/program.js';

export async function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(args, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

export async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await cli([...args, '--json']);
  if (r.status !== 0) throw new Error(`${args.join(' ')} → exit ${r.status}\n${r.err}\n${r.out}`);
  return JSON.parse(r.out) as Record<string, unknown>;
}
