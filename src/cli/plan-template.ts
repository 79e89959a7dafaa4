/**
 * `tuf-ceremony plan-template --profile sigstore --repository NAME --out PLAN [--snapshot-key FILE]
 * [--timestamp-key FILE] [--custodian NAME]… [--json]`: a ceremony plan for a private Sigstore's TUF
 * repository (src/sigstore/plan-template.ts) to review and edit, checked with the plan parser before it is
 * written (never over an existing file). `--snapshot-key` / `--timestamp-key`: the online service's public
 * key files (key JSON or PEM), named in the plan relative to it (they must sit next to the plan), pinned by
 * their SHA-256; without them the keys are made on a custodian's token for `tuf-ceremony refresh`.
 * `--json` prints `{ "ok": true, "out", "sha256", "online": ["snapshot"?, "timestamp"?] }`.
 */
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import { parsePlan } from '../ceremony/plan.js';
import { parseRoleKeyFile } from '../ceremony/online-key.js';
import { SERVER_KEY_MAX_BYTES } from '../ceremony/server-key.js';
import { assertAbsent, readFileCapped, writeFileVerified } from '../io/files.js';
import { sigstorePlanTemplate } from '../sigstore/plan-template.js';
import { reportError, type Io } from './output.js';

export interface PlanTemplateOptions {
  profile: string;
  repository: string;
  out: string;
  snapshotKey?: string;
  timestampKey?: string;
  custodian?: string[];
  json?: boolean;
  now?: Date;
}

export async function planTemplateCommand(opts: PlanTemplateOptions, io: Io): Promise<number> {
  const json = Boolean(opts.json);
  try {
    if (opts.profile !== 'sigstore') throw new CeremonyError('USAGE', '--profile sigstore is the template this version writes');
    const out = resolve(opts.out);
    await assertAbsent([out], ' (a plan is never overwritten)');
    const keyOf = async (file: string | undefined, role: 'snapshot' | 'timestamp'): Promise<{ keyFile: string; sha256: string } | undefined> => {
      if (file === undefined) return undefined;
      const path = resolve(file);
      if (dirname(path) !== dirname(out)) throw new CeremonyError('USAGE', `--${role}-key must sit next to the plan (the plan names it relative to its own folder)`);
      const bytes = await readFileCapped(path, SERVER_KEY_MAX_BYTES);
      parseRoleKeyFile('tuf', role, bytes, basename(path), undefined, opts.repository);
      return { keyFile: basename(path), sha256: sha256Hex(bytes) };
    };
    const snapshotKey = await keyOf(opts.snapshotKey, 'snapshot');
    const timestampKey = await keyOf(opts.timestampKey, 'timestamp');
    const plan = sigstorePlanTemplate({ repository: opts.repository, now: opts.now ?? new Date(), ...(snapshotKey ? { snapshotKey } : {}), ...(timestampKey ? { timestampKey } : {}), ...(opts.custodian?.length ? { custodians: opts.custodian } : {}) });
    const bytes = new TextEncoder().encode(`${JSON.stringify(plan, null, 2)}\n`);
    parsePlan(bytes, { source: basename(out) });
    await writeFileVerified(out, bytes);
    const online = [...(snapshotKey ? ['snapshot'] : []), ...(timestampKey ? ['timestamp'] : [])];
    if (json) io.out(JSON.stringify({ ok: true, out, sha256: sha256Hex(bytes), online }, null, 2));
    else {
      io.out(`wrote ${out}: a private Sigstore plan (TUF, consistent snapshots; root and targets offline on tokens; ${online.length ? `${online.join(' and ')} online` : 'snapshot and timestamp on a token, renewed with tuf-ceremony refresh'})`);
      io.out('  review and edit it (custodians, key labels, dates), then: tuf-ceremony run PLAN --bindings FILE');
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  }
}

export function registerPlanTemplateCommand(program: Command, io: Io, done: (status: number) => void): void {
  const many = (value: string, previous: string[] = []): string[] => [...previous, value];
  program
    .command('plan-template')
    .description('write a ceremony plan template to review: --profile sigstore, a private Sigstore trust root')
    .requiredOption('--profile <PROFILE>', 'sigstore')
    .requiredOption('--repository <NAME>', 'the repository name (e.g. tuf.sigstore.example.com)')
    .requiredOption('--out <PLAN>', 'the plan file to write (never overwritten)')
    .option('--snapshot-key <FILE>', "the online service's snapshot public key (key JSON or PEM), next to the plan")
    .option('--timestamp-key <FILE>', "the online service's timestamp public key (key JSON or PEM), next to the plan")
    .option('--custodian <NAME>', 'a root key custodian (repeatable; default Alice, Bob, Carol)', many)
    .option('--json', 'machine-readable result (documented in src/cli/plan-template.ts)')
    .action(async (opts: PlanTemplateOptions) => done(await planTemplateCommand(opts, io)));
}
