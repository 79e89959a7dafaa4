import { basename } from 'node:path';
import { certificateDocumentFormatOf, documentFormatOf } from '../rotation/format.js';
import { BUNDLE_MAGIC, decodeBundle, DEFAULT_BUNDLE_CAPS, looksLikeBundle } from '../bundle/format.js';
import { CeremonyError } from '../errors.js';
import { groupHex, groupWords } from '../crypto/digest-words.js';
import { inspectNamedFiles } from '../inspect/inspect.js';
import type { Inspection, RoleView } from '../inspect/types.js';
import { readFileCapped, readFileHead, readNamedInput } from '../io/files.js';
import { metadataDirOf } from '../io/ceremony-output.js';
import { quoteShown, shownOrQuoted } from '../json/fields.js';
import type { NamedBytes } from '../tuf/repository-files.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { Io } from './output.js';
import { attestationLines } from '../attestation/repository.js';
import { attestationOptions, type AttestationFlags } from './attestation-options.js';

/**
 * Plain-text rendering of an inspection: the same facts as the app's diagram, in reading order. Every
 * string that comes from the metadata (repository, role and key names, key types, labels, paths) is
 * untrusted: the TUF name rule refuses only C0 and DEL, so a C1 control (U+009B is a one-character CSI)
 * or a bidi override could reach the terminal. Those are escaped (src/json/fields.ts shownOrQuoted).
 */
export function renderInspection(ins: Inspection): string {
  const lines: string[] = [];
  const head = ins.profile === 'notary' ? `Notary / Docker Content Trust repository${ins.repository ? ` ${shownOrQuoted(ins.repository)}` : ''}` : 'TUF 1.0 repository';
  lines.push(`${shownOrQuoted(ins.source)}: ${head}${ins.rootVersion ? `, root version ${ins.rootVersion}` : ''}`);
  // By ID once, not a scan of every key per listed ID (review-12 M1: a file may list a million IDs).
  const keysById = new Map(ins.keys.map((k) => [k.keyId, k]));
  const keyLabel = (id: string) => {
    const k = keysById.get(id);
    const shortId = shownOrQuoted(id.slice(0, 12));
    return k ? `${shortId}  ${shownOrQuoted(k.keytype)}${k.label ? `  ${quoteShown(k.label)}` : ''}  fp ${k.fingerprint.slice(0, 16)}` : `${shortId}  (not in keys)`;
  };
  const roleLine = (r: RoleView) => {
    const parts = [r.kind === 'delegation' ? `${shownOrQuoted(r.name)} (delegated by ${shownOrQuoted(r.delegatedBy)})` : shownOrQuoted(r.name)];
    if (r.threshold) parts.push(`threshold ${r.threshold} of ${r.keyIds.length}`);
    if (r.version !== undefined) parts.push(`version ${r.version}`);
    if (r.expires) parts.push(`expires ${shownOrQuoted(r.expires)}${r.expired ? ' — EXPIRED' : ''}`);
    if (r.thresholdMet !== undefined) parts.push(r.thresholdMet ? `signed ${r.signedBy?.length} of ${r.threshold}: OK` : `signed ${r.signedBy?.length ?? 0} of ${r.threshold}: NOT ENOUGH`);
    if (r.signaturesNotChecked) parts.push(`signatures not checked: ${r.signaturesNotChecked}`);
    if (r.targetCount !== undefined) parts.push(r.pathsNotChecked ? `${r.targetCount} targets listed (not matched against its paths: over the inspection's path-test budget)` : `${r.targetCount} targets`);
    if (r.outsidePathsCount) parts.push(`${r.outsidePathsCount} outside its paths: never served`);
    if (r.paths) parts.push(`paths ${r.paths.map(quoteShown).join(', ')}`);
    lines.push(`  ${parts.join(', ')}`);
    const signed = new Set(r.signedBy ?? []);
    for (const id of r.keyIds) lines.push(`      ${r.signedBy ? (signed.has(id) ? '[signed]  ' : '[missing] ') : ''}${keyLabel(id)}`);
  };
  lines.push('roles:');
  ins.roles.forEach(roleLine);
  if (ins.verified) lines.push(ins.verified.ok ? 'verification: OK' : `verification: REFUSED error[${ins.verified.error.code}]: ${ins.verified.error.message}`);
  if (ins.attestations) lines.push(...attestationLines(ins.attestations));
  if (ins.problems.length) {
    lines.push('problems:');
    for (const p of ins.problems) lines.push(`  [${p.code}] ${p.message}`);
  }
  return lines.join('\n');
}

/** How large a single FILE `inspect` reads: a bundle up to the bundle format's cap, anything else up to a targets file's. */
export interface InspectCaps {
  /** A file that starts with the bundle magic (DEFAULT_BUNDLE_CAPS.total: what decodeBundle accepts). */
  bundle: number;
  /** Any other single file: metadata, a request or response document (DEFAULT_CAPS.targets, the largest metadata). */
  file: number;
}

export const DEFAULT_INSPECT_CAPS: InspectCaps = { bundle: DEFAULT_BUNDLE_CAPS.total, file: DEFAULT_CAPS.targets };

const MAGIC_LENGTH = new TextEncoder().encode(BUNDLE_MAGIC).length;

/**
 * Read `inspect`'s input. A directory: every metadata file under its per-role cap (readNamedInput). A single
 * file: its first bytes say which cap applies (a bundle's header, not its name: a renamed bundle is still a
 * bundle, and a file named .tufbundle that is not one gets no larger cap); a file over that cap is refused
 * from its size, before it is read. The bytes read are sniffed again, so a file swapped between the two
 * reads cannot get the bundle cap without being a bundle.
 */
async function readInspectInput(path: string, caps: InspectCaps): Promise<{ files: NamedBytes[]; directory: boolean; source: string }> {
  const head = await readFileHead(path, MAGIC_LENGTH);
  if (head.kind === 'directory') {
    // A ceremony output folder is inspected as its metadata/ folder (src/io/ceremony-output.ts).
    const m = await metadataDirOf(path);
    const read = await readNamedInput(m.dir);
    return { ...read, source: m.source };
  }
  const bundle = looksLikeBundle(head.head);
  const cap = bundle ? caps.bundle : caps.file;
  const what = bundle ? 'a bundle' : 'a single file that is not a bundle';
  if (head.size > cap) throw new CeremonyError('INPUT_TOO_LARGE', `${basename(path)} is ${head.size} bytes, over the cap of ${cap} for ${what}`, { path });
  const bytes = await readFileCapped(path, cap);
  if (!looksLikeBundle(bytes) && bytes.length > caps.file) {
    throw new CeremonyError('INPUT_TOO_LARGE', `${basename(path)} is ${bytes.length} bytes, over the cap of ${caps.file} for a single file that is not a bundle`, { path });
  }
  return { files: [{ name: basename(path), bytes }], directory: false, source: basename(path) };
}

export interface InspectCommandOptions extends AttestationFlags {
  json?: boolean;
  root?: string;
}

export async function inspectCommand(path: string, opts: InspectCommandOptions, io: Io, caps: InspectCaps = DEFAULT_INSPECT_CAPS): Promise<number> {
  const read = await readInspectInput(path, caps);
  // A bundle is decoded and checked first; a trust bundle is then inspected as the directory it carries.
  const only = read.files.length === 1 && !read.directory ? read.files[0]! : undefined;
  const bundle = only && looksLikeBundle(only.bytes) ? decodeBundle(only.bytes, { source: read.source }) : undefined;
  // A signing-request / signature-response bundle: checked like `sign` and `merge` check it, then the review.
  // The rotation modules (signers, Shamir, X.509) are loaded only for such inputs (issue #18).
  const rotationModules = () => import('../rotation/index.js');
  const isRotationBundle = bundle !== undefined && (bundle.kind === 'signing-request' || bundle.kind === 'signature-response');
  const rotationBundle = isRotationBundle && only ? (await rotationModules()).inspectRotationBundle(only.bytes, read.source) : undefined;
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
      io.out(`short hash: ${groupHex(bundle.hash.hex)}  (${groupWords(bundle.hash.words)})`);
    }
    return 0;
  }
  // A certificate request or response (issue #14: renewing Notary root certificates).
  if (only && !bundle && certificateDocumentFormatOf(only.bytes) !== undefined) {
    const doc = (await import('../rotation/certificate-request.js')).inspectCertificateDocument(only.bytes, read.source);
    io.out(opts.json ? JSON.stringify(doc.json, null, 2) : doc.text);
    return 0;
  }
  // A signing request or signature response (rotation co-signing): the review a co-signer reads.
  const rotation = only && !bundle && documentFormatOf(only.bytes) !== undefined ? (await rotationModules()).inspectRotationDocument(only.bytes, read.source) : undefined;
  if (rotation) {
    io.out(opts.json ? JSON.stringify(rotation.json, null, 2) : rotation.text);
    return 0;
  }
  const input = { ...(bundle ? { files: bundle.files, directory: true, source: read.source } : read), attestations: await attestationOptions(opts) };
  const ins = opts.root ? inspectNamedFiles({ ...input, trustedRoot: { name: basename(opts.root), bytes: await readFileCapped(opts.root, DEFAULT_CAPS.root) } }) : inspectNamedFiles(input);
  io.out(opts.json ? JSON.stringify(ins, null, 2) : renderInspection(ins));
  // Exit 1 when a pinned verification or an attestation was refused: scripts need not parse the text.
  const refusedKey = ins.attestations?.keys.find((k) => k.status === 'refused');
  const refused = ins.attestations?.error ?? (refusedKey ? { code: refusedKey.code ?? 'ATTESTATION_MISSING', message: refusedKey.sentence } : undefined);
  if (refused && !opts.json) io.err(`error[${refused.code}]: ${refused.message}`);
  return (ins.verified && !ins.verified.ok) || refused ? 1 : 0;
}
