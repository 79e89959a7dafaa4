import { basename } from 'node:path';
import { inspectNamedFiles } from '../inspect/inspect.js';
import type { Inspection, RoleView } from '../inspect/types.js';
import { readFileCapped, readNamedInput } from '../io/files.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { Io } from './output.js';

/** Plain-text rendering of an inspection: the same facts as the app's diagram, in reading order. */
export function renderInspection(ins: Inspection): string {
  const lines: string[] = [];
  const head = ins.profile === 'notary' ? `Notary / Docker Content Trust repository${ins.repository ? ` ${ins.repository}` : ''}` : 'TUF 1.0 repository';
  lines.push(`${ins.source}: ${head}${ins.rootVersion ? `, root version ${ins.rootVersion}` : ''}`);
  const keyLabel = (id: string) => {
    const k = ins.keys.find((key) => key.keyId === id);
    return k ? `${id.slice(0, 12)}  ${k.keytype}${k.label ? `  "${k.label}"` : ''}  fp ${k.fingerprint.slice(0, 16)}` : `${id.slice(0, 12)}  (not in keys)`;
  };
  const roleLine = (r: RoleView) => {
    const parts = [r.kind === 'delegation' ? `${r.name} (delegated by ${r.delegatedBy})` : r.name];
    if (r.threshold) parts.push(`threshold ${r.threshold} of ${r.keyIds.length}`);
    if (r.version !== undefined) parts.push(`version ${r.version}`);
    if (r.expires) parts.push(`expires ${r.expires}${r.expired ? ' — EXPIRED' : ''}`);
    if (r.thresholdMet !== undefined) parts.push(r.thresholdMet ? `signed ${r.signedBy?.length} of ${r.threshold}: OK` : `signed ${r.signedBy?.length ?? 0} of ${r.threshold}: NOT ENOUGH`);
    if (r.targetCount !== undefined) parts.push(`${r.targetCount} targets`);
    if (r.paths) parts.push(`paths ${r.paths.map((p) => JSON.stringify(p)).join(', ')}`);
    lines.push(`  ${parts.join(', ')}`);
    const signed = new Set(r.signedBy ?? []);
    for (const id of r.keyIds) lines.push(`      ${r.signedBy ? (signed.has(id) ? '[signed]  ' : '[missing] ') : ''}${keyLabel(id)}`);
  };
  lines.push('roles:');
  ins.roles.forEach(roleLine);
  if (ins.verified) lines.push(ins.verified.ok ? 'verification: OK' : `verification: REFUSED error[${ins.verified.error.code}]: ${ins.verified.error.message}`);
  if (ins.problems.length) {
    lines.push('problems:');
    for (const p of ins.problems) lines.push(`  [${p.code}] ${p.message}`);
  }
  return lines.join('\n');
}

export async function inspectCommand(path: string, opts: { json?: boolean; root?: string }, io: Io): Promise<number> {
  const input = await readNamedInput(path);
  const ins = opts.root ? inspectNamedFiles({ ...input, trustedRoot: { name: basename(opts.root), bytes: await readFileCapped(opts.root, DEFAULT_CAPS.root) } }) : inspectNamedFiles(input);
  io.out(opts.json ? JSON.stringify(ins, null, 2) : renderInspection(ins));
  return ins.verified && !ins.verified.ok ? 1 : 0;
}
