/**
 * `tuf-ceremony targets-request --root ROOT --targets TARGETS --expires DATE [--add NAME=FILE]…
 *     [--update NAME=FILE]… [--remove NAME]… [--custom NAME=JSON_FILE]… [--previous NAME=FILE]… [--repository NAME]
 *     --out REQUEST [--bundle] [--json]`
 *
 * The signing request of targets.json N+1 that adds, updates or removes target files
 * (src/target-files/change.ts): each entry's length and SHA-256 / SHA-512 computed from the file given,
 * custom data kept on update unless `--custom` gives new data. For a Sigstore `trusted_root.json` the review
 * also says which Fulcio CAs, Rekor and CT log keys, timestamp authorities and validity windows are added or
 * removed (src/sigstore/trusted-root.ts), against the current file given with `--previous NAME=FILE`; both
 * files travel in the request (up to 512 KiB each, bound to the entries' hashes) so `sign` shows each
 * co-signer the same words. ROOT is the current (trusted) root and
 * TARGETS the published targets.json, which must verify under ROOT's targets role first. The request then
 * goes the way of every targets request: `sign` (each co-signer reads the review — every file with its size
 * and short hash, and what replaces what — and signs on their token), `merge` (targets.json N+1), then
 * `refresh --targets` (or the online service) publishes it with a new snapshot, and the files themselves
 * with `--targets-dir`.
 *
 * A delegated role's own file (`targets/releases.json`, `releases.json`): `--role NAME --delegated FILE`
 * makes the request for that file's version N+1 instead, signed by the delegate's keys as targets.json
 * (TARGETS, verified under ROOT) lists them (src/rotation/delegated-payload.ts): the same --add / --update /
 * --remove, each target inside the paths the delegation is trusted for (TARGET_OUTSIDE_DELEGATION
 * otherwise), or none of them to renew the file's expiry alone. `--signer KEYID=NAME` names a delegation
 * key's holder for the review. `sign` and `merge` then work as for targets.json.
 *
 * `--json` prints `{ "ok": true, "out", "form": "request" | "bundle", "requestId", "payloadSha256",
 * "fromVersion", "toVersion", "review": { "lines", "digest": { "sha256", "hex", "words" } },
 * "files": [{ "name", "change": "add" | "update" | "remove", "length", "sha256" }],
 * "contentReview": [{ "name": "trusted_root.json", "lines": ["Fulcio CA … ADDED, valid from …", …] }] }`; the human lines then go
 * to stderr. Exit: 0 written; 1 refused; 2 usage.
 */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import { writeBundle } from '../io/bundle-file.js';
import { assertAbsent, readFileCapped, writeFileVerified } from '../io/files.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonValue } from '../json/types.js';
import { buildTargetsPayload, buildTargetsSigningRequest, describeRequest, serializeSigningRequest, wrapSigningRequest, type SigningRequest } from '../rotation/index.js';
import { buildDelegatedPayload } from '../rotation/delegated-payload.js';
import { buildDelegatedSigningRequest } from '../rotation/request.js';
import { CONTENT_MAX_BYTES, type TargetContents } from '../rotation/request-contents.js';
import type { Metadata } from '../tuf/metadata.js';
import type { Targets } from '../tuf/targets.js';
import { checkTargetBytes } from '../repository-tree/layout.js';
import { describeTrustedRootChange, parseTrustedRoot, TRUSTED_ROOT_NAME } from '../sigstore/trusted-root.js';
import { applyTargetFileChanges, type TargetFileInput } from '../target-files/change.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { reportError, type Io } from './output.js';

export interface TargetsRequestOptions {
  root: string;
  targets: string;
  expires: string;
  add?: string[];
  update?: string[];
  remove?: string[];
  custom?: string[];
  /** The repository name the request shows (Notary: the GUN, required). */
  repository?: string;
  /** NAME=FILE: the current bytes of an updated target, for the review of its content (trusted_root.json). */
  previous?: string[];
  /** A delegated role whose own file the request changes (with `delegated`). */
  role?: string;
  /** The delegated role's file N as published. */
  delegated?: string;
  /** KEYID=NAME: who holds a delegation key (delegated role requests). */
  signer?: string[];
  out: string;
  bundle?: boolean;
  json?: boolean;
  now?: Date;
}

/** Custom data is small JSON (TUF `custom`). */
const CUSTOM_MAX_BYTES = 64 * 1024;

function nameAndFile(value: string, option: string): [string, string] {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) throw new CeremonyError('USAGE', `${option} takes NAME=FILE (the target path, then the file holding its bytes), not ${JSON.stringify(value)}`);
  return [value.slice(0, at), value.slice(at + 1)];
}

export async function targetsRequestCommand(opts: TargetsRequestOptions, io: Io): Promise<number> {
  const json = Boolean(opts.json);
  const say = (s: string): void => (json ? io.err(s) : io.out(s));
  try {
    const out = resolve(opts.out);
    await assertAbsent([out], ' (a signing request is never overwritten: choose another --out)');
    if ((opts.role === undefined) !== (opts.delegated === undefined)) throw new CeremonyError('USAGE', '--role NAME and --delegated FILE go together (the delegated role and its file as published)');
    if (!opts.role && !opts.add?.length && !opts.update?.length && !opts.remove?.length) throw new CeremonyError('USAGE', 'give at least one --add, --update or --remove');
    if (!opts.role && opts.signer?.length) throw new CeremonyError('USAGE', '--signer names the keys of a delegated role (with --role)');
    const customs = new Map<string, JsonValue>();
    for (const v of opts.custom ?? []) {
      const [name, file] = nameAndFile(v, '--custom');
      customs.set(name, parseJsonStrict(await readFileCapped(file, CUSTOM_MAX_BYTES), { maxBytes: CUSTOM_MAX_BYTES, path: `${basename(file)} $` }));
    }
    const inputs = async (values: string[] | undefined, option: string): Promise<TargetFileInput[]> => {
      const list: TargetFileInput[] = [];
      for (const v of values ?? []) {
        const [name, file] = nameAndFile(v, option);
        const custom = customs.get(name);
        list.push({ name, bytes: await readFileCapped(file, DEFAULT_CAPS.targets), ...(custom !== undefined ? { custom } : {}) });
      }
      return list;
    };
    const add = await inputs(opts.add, '--add');
    const update = await inputs(opts.update, '--update');
    const named = new Set([...add, ...update].map((f) => f.name));
    for (const name of customs.keys()) if (!named.has(name)) throw new CeremonyError('USAGE', `--custom names ${JSON.stringify(name)}, which is neither added nor updated`);

    const root = await readFileCapped(opts.root, DEFAULT_CAPS.root);
    const targets = await readFileCapped(opts.targets, DEFAULT_CAPS.targets);
    // The payload first (every check of the change), then the contents the review reads, then the request.
    let makeRequest: (contents: TargetContents) => SigningRequest;
    let previousTargets: Metadata<Targets>;
    if (opts.role !== undefined) {
      const delegated = await readFileCapped(opts.delegated!, DEFAULT_CAPS.targets);
      const names = new Map<string, string>();
      for (const v of opts.signer ?? []) {
        const [keyid, name] = nameAndFile(v, '--signer');
        names.set(keyid, name);
      }
      const payload = buildDelegatedPayload(root, targets, delegated, opts.role, { expires: opts.expires, files: { add, update, remove: opts.remove ?? [] } });
      for (const keyid of names.keys()) if (!payload.role.keyids.includes(keyid)) throw new CeremonyError('USAGE', `--signer names key ${keyid.slice(0, 16)}…, which is not a key of ${opts.role}`);
      if (payload.profile === 'notary' && !opts.repository) throw new CeremonyError('USAGE', '--repository GUN is required for a Notary repository');
      makeRequest = (contents) => buildDelegatedSigningRequest(payload, { repository: opts.repository ?? 'tuf-repository', names, contents });
      previousTargets = payload.previous;
    } else {
      const base = buildTargetsPayload(root, targets, { expires: opts.expires });
      const payload = applyTargetFileChanges(base, { add, update, remove: opts.remove ?? [] });
      if (payload.profile === 'notary' && !opts.repository) throw new CeremonyError('USAGE', '--repository GUN is required for a Notary repository');
      makeRequest = (contents) => buildTargetsSigningRequest(payload, { repository: opts.repository ?? 'tuf-repository', contents });
      previousTargets = base.previous;
    }
    // A Sigstore trust root: what changes inside it, in words (src/sigstore/trusted-root.ts). Its bytes (and
    // the current ones, --previous) travel in the request, bound to the entries' hashes, so each co-signer's
    // review says the same (src/rotation/request-contents.ts).
    const previous = new Map<string, Uint8Array>();
    for (const v of opts.previous ?? []) {
      const [name, file] = nameAndFile(v, '--previous');
      const entry = previousTargets.signed.targets.get(name);
      if (!entry) throw new CeremonyError('TARGET_UNKNOWN', `--previous names ${JSON.stringify(name)}, which ${opts.role !== undefined ? `${opts.role}.json` : 'targets.json'} does not list`);
      const bytes = await readFileCapped(file, entry.length);
      checkTargetBytes(name, entry, bytes, basename(file));
      previous.set(name, bytes);
    }
    const contentReview: { name: string; lines: string[] }[] = [];
    const contents: TargetContents = new Map();
    const notCarried: string[] = [];
    for (const f of [...add, ...update]) {
      if (basename(f.name) !== TRUSTED_ROOT_NAME) continue;
      const before = previous.get(f.name);
      const lines = describeTrustedRootChange(before ? parseTrustedRoot(before, `current ${f.name}`) : undefined, parseTrustedRoot(f.bytes, f.name));
      contentReview.push({ name: f.name, lines });
      if (f.bytes.length > CONTENT_MAX_BYTES || (before?.length ?? 0) > CONTENT_MAX_BYTES) {
        notCarried.push(f.name);
        continue;
      }
      contents.set(f.name, { next: f.bytes, ...(before ? { previous: before } : {}) });
    }
    const request = makeRequest(contents);
    const review = describeRequest(request);
    for (const line of review.lines) say(line);
    for (const name of notCarried) {
      // Too large to carry: the proposer sees the words here; co-signers must check the file themselves.
      const c = contentReview.find((x) => x.name === name)!;
      say(`${name} (Sigstore trust root; over ${CONTENT_MAX_BYTES} bytes, so NOT carried in the request: co-signers do not see this part of the review):`);
      for (const l of c.lines) say(`  ${l}`);
    }
    let bundleHash = null;
    if (opts.bundle) bundleHash = await writeBundle(out, wrapSigningRequest(request, opts.now ?? new Date()));
    else await writeFileVerified(out, serializeSigningRequest(request));
    say(`wrote ${out}: ${opts.bundle ? 'signing-request bundle' : 'signing request'} ${request.requestId.slice(0, 16)}… for ${opts.role !== undefined ? `${opts.role}.json` : 'targets.json'} version ${review.toVersion}; expected signers: ${request.expectedSigners.map((s) => s.name).join(', ')}`);
    if (json) {
      const files = [
        ...add.map((f) => ({ name: f.name, change: 'add', length: f.bytes.length, sha256: sha256Hex(f.bytes) })),
        ...update.map((f) => ({ name: f.name, change: 'update', length: f.bytes.length, sha256: sha256Hex(f.bytes) })),
        ...(opts.remove ?? []).map((name) => ({ name, change: 'remove', length: null, sha256: null })),
      ];
      io.out(
        JSON.stringify(
          {
            ok: true,
            out,
            form: opts.bundle ? 'bundle' : 'request',
            requestId: request.requestId,
            payloadSha256: request.payloadSha256,
            fromVersion: review.fromVersion,
            toVersion: review.toVersion,
            review: { lines: review.lines, digest: { sha256: review.digest.sha256, hex: review.digest.hex, words: review.digest.words } },
            files,
            contentReview,
            bundle: bundleHash ? { sha256: bundleHash.sha256, hex: bundleHash.hex, words: bundleHash.words } : null,
          },
          null,
          2,
        ),
      );
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  }
}

export function registerTargetsRequestCommand(program: Command, io: Io, done: (status: number) => void): void {
  const many = (value: string, previous: string[] = []): string[] => [...previous, value];
  program
    .command('targets-request')
    .description("a signing request for targets.json N+1 (or a delegated role's file, --role) that adds, updates or removes target files (lengths and hashes from the files), or renews a delegated role")
    .requiredOption('--root <ROOT>', 'the current root.json (trusted)')
    .requiredOption('--targets <TARGETS>', 'targets.json as published (verified under the root first)')
    .requiredOption('--expires <DATE>', "the new targets.json's expiry, YYYY-MM-DDTHH:MM:SSZ")
    .option('--add <NAME=FILE>', 'add the target NAME with the bytes of FILE (repeatable)', many)
    .option('--update <NAME=FILE>', 'replace the bytes of the listed target NAME by FILE; its custom data is kept (repeatable)', many)
    .option('--remove <NAME>', 'remove the listed target NAME (repeatable)', many)
    .option('--custom <NAME=JSON_FILE>', 'custom data for an added or updated target, as a JSON file (repeatable)', many)
    .option('--previous <NAME=FILE>', 'the current bytes of an updated target (checked against targets.json), so the review says what changes inside it (trusted_root.json)', many)
    .option('--role <NAME>', "a delegated role: the request changes that role's own file (with --delegated), signed by its keys")
    .option('--delegated <FILE>', "the delegated role's file as published (verified under targets.json's delegation)")
    .option('--signer <KEYID=NAME>', 'who holds a key of the delegated role, for the review (repeatable)', many)
    .option('--repository <NAME>', 'the repository name the request shows (default tuf-repository)')
    .requiredOption('--out <REQUEST>', 'where to write the signing request (never overwritten)')
    .option('--bundle', 'write a signing-request bundle instead of the plain JSON document')
    .option('--json', 'machine-readable result (documented in src/cli/targets-request.ts)')
    .action(async (opts: TargetsRequestOptions) => done(await targetsRequestCommand(opts, io)));
}
