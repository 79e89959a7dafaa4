/**
 * `tuf-ceremony plan-script PLAN --out SCRIPT.html [--rehearsal] [--json]` (issue #16): the printable
 * ceremony script of a reviewed plan (src/ceremony/script.ts) — roles, room and machine, media, every step
 * with a checkbox, witness initials, the hash words to read aloud and what to do when it fails. One
 * self-contained HTML page: print it (any browser, or the app) to paper or PDF. Never overwrites.
 *
 * `--rehearsal` reads a rehearsal plan (software keys allowed) and marks every page REHEARSAL.
 * `--json` prints `{ "ok": true, "out", "planSha256", "words": [...] }`.
 */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { intentHash, parsePlan, PLAN_MAX_BYTES } from '../ceremony/index.js';
import { renderCeremonyScriptHtml } from '../ceremony/script.js';
import { CeremonyError } from '../errors.js';
import { assertAbsent, readFileCapped, writeFileVerified } from '../io/files.js';
import { groupWords } from '../crypto/digest-words.js';
import { reportError, type Io } from './output.js';

export interface PlanScriptOptions {
  out: string;
  rehearsal?: boolean;
  json?: boolean;
}

export async function planScriptCommand(planPath: string, opts: PlanScriptOptions, io: Io): Promise<number> {
  const json = Boolean(opts.json);
  try {
    if (!opts.out) throw new CeremonyError('USAGE', '--out SCRIPT.html is required');
    const out = resolve(opts.out);
    await assertAbsent([out], ' (a script is never overwritten)');
    const bytes = await readFileCapped(planPath, PLAN_MAX_BYTES);
    const plan = parsePlan(bytes, { source: basename(planPath), rehearsal: Boolean(opts.rehearsal) });
    const html = renderCeremonyScriptHtml(plan, bytes, { planName: basename(planPath), rehearsal: Boolean(opts.rehearsal) });
    await writeFileVerified(out, new TextEncoder().encode(html));
    const h = intentHash(bytes);
    if (json) io.out(JSON.stringify({ ok: true, out, planSha256: h.sha256, words: h.words }, null, 2));
    else io.out(`wrote ${out}: the ceremony script of ${basename(planPath)} (plan words: ${groupWords(h.words)}); print it for everyone in the room`);
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  }
}

export function registerPlanScriptCommand(program: Command, io: Io, done: (status: number) => void): void {
  program
    .command('plan-script')
    .description('write the printable ceremony script of a plan (HTML: roles, preparation, every step with checkbox and witness initials)')
    .argument('<PLAN>', 'the reviewed ceremony plan (JSON)')
    .requiredOption('--out <SCRIPT>', 'the HTML file to write (never overwritten); print it to paper or PDF')
    .option('--rehearsal', 'a rehearsal plan (software keys allowed); every page says REHEARSAL')
    .option('--json', 'machine-readable result (documented in src/cli/plan-script.ts)')
    .action(async (planPath: string, opts: PlanScriptOptions) => done(await planScriptCommand(planPath, opts, io)));
}
