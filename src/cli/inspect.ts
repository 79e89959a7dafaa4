import { basename } from 'node:path';
import { inspectRotationBundle, inspectRotationDocument } from '../rotation/index.js';
import { decodeBundle, looksLikeBundle } from '../bundle/format.js';
import { groupHex } from '../crypto/digest-words.js';
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
  const read = await readNamedInput(path);
  // A bundle is decoded and checked first; a trust bundle is then inspected as the directory it carries.
  const only = read.files.length === 1 && !read.directory ? read.files[0]! : undefined;
  const bundle = only && looksLikeBundle(only.bytes) ? decodeBundle(only.bytes, { source: read.source }) : undefined;
  // A signing-request / signature-response bundle: checked like `sign` and `merge` check it, then the review.
  const rotationBundle = bundle && only ? inspectRotationBundle(only.bytes, read.source) : undefined;
  if (rotationBundle) {
    io.out(opts.json ? JSON.stringify(rotationBundle.json, null, 2) : rotationBundle.text);
    return 0;
  }
  if (bundle && bundle.kind !== 'trust-bundle') {
    const summary = { source: read.source, kind: bundle.kind, profile: bundle.profile, repository: bundle.repository, created: bundle.created, files: bundle.manifest.files, sha256: bundle.hash.sha256, shortHash: bundle.hash.hex, words: bundle.hash.words };
    if (opts.json) io.out(JSON.stringify(summary, null, 2));
    else {
      io.out(`${read.source}: ${bundle.kind} bundle, ${bundle.profile} repository ${bundle.repository}, created ${bundle.created}`);
      for (const f of bundle.manifest.files) io.out(`  ${f.name}  ${f.length} bytes  sha256 ${f.sha256}`);
      io.out(`short hash: ${groupHex(bundle.hash.hex)}  (${bundle.hash.words.join(' ')})`);
    }
    return 0;
  }
  // A signing request or signature response (rotation co-signing): the review a co-signer reads.
  const rotation = only && !bundle ? inspectRotationDocument(only.bytes, read.source) : undefined;
  if (rotation) {
    io.out(opts.json ? JSON.stringify(rotation.json, null, 2) : rotation.text);
    return 0;
  }
  const input = bundle ? { files: bundle.files, directory: true, source: read.source } : read;
  const ins = opts.root ? inspectNamedFiles({ ...input, trustedRoot: { name: basename(opts.root), bytes: await readFileCapped(opts.root, DEFAULT_CAPS.root) } }) : inspectNamedFiles(input);
  io.out(opts.json ? JSON.stringify(ins, null, 2) : renderInspection(ins));
  return ins.verified && !ins.verified.ok ? 1 : 0;
}
