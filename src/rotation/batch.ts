/**
 * Batch signing requests (issue #17 point 2): one request that covers the same change in many repositories
 * — "replace Carol's key everywhere" — so a co-signer reviews it once, reads one hash, unlocks the key once,
 * and answers with one response; the administrator merges it per repository.
 *
 * Batch signing request (written with sorted keys, 2-space indentation):
 *
 * ```
 * { "format": "tuf-ceremony-batch-signing-request", "version": 1,
 *   "requests": [ <a signing request document, exactly as src/rotation/request.ts writes it>, … ],
 *   "batchId": "<hex>" }
 * ```
 *
 * Batch signature response:
 *
 * ```
 * { "format": "tuf-ceremony-batch-signature-response", "version": 1, "batchId": "<hex>",
 *   "responses": [ <a signature response document, one per request the key signs>, … ] }
 * ```
 *
 * What binds the batch. Every embedded request is a complete single request: parsed and checked exactly
 * as a single one (strict schema, its request ID recomputed over its payload, previous files and shown
 * fields, its policy and signers against its roots). `batchId` = hex SHA-256 of a domain tag and the
 * canonical JSON of `[{"payloadSha256", "repository", "requestId"}, …]` in the batch's order: each request ID
 * already binds its payload, previous root and everything its review shows, so the batch ID binds every
 * byte of every repository's payload and what the review says about it. The hash the co-signer reads
 * aloud (and `sign --expect-hash` compares) is the batch ID's short form: one hash for the whole batch.
 * A batch whose requests were edited, added, dropped or reordered does not match its batch ID
 * (ROTATION_REQUEST_TAMPERED); one whose ID was recomputed gives responses the administrator's merge
 * refuses, as for single requests (each embedded response carries its request's ID).
 *
 * Caps (documented in the README): a batch request at most BATCH_REQUEST_MAX_BYTES (128 MiB) and
 * BATCH_MAX_REQUESTS (5,000) requests, each embedded request no larger than a single request may be
 * (REQUEST_MAX_BYTES, 4 MiB, measured as written); a batch response at most BATCH_RESPONSE_MAX_BYTES
 * (64 MiB) and as many entries as requests. Over a cap: INPUT_TOO_LARGE. One repository name twice (even
 * under two profiles: a batch may mix Notary and TUF repositories), a repository name that cannot name a folder (the merged files are written per
 * repository, `<out>/<repository>/root.json`), or one whose folder would be another's merged file (`site/app`
 * and `site/app/root.json`; tuf/folder-under-file.ts): SCHEMA_INVALID with the JSON path.
 *
 * The review (describeBatch) summarises the change once: requests whose change reads the same — by the
 * keys' fingerprints and names, not by key IDs (a Notary root key has one certificate, so one key ID, per
 * GUN) — form one group; the largest is the summary ("in 240 repositories: root key "Carol" (fingerprint …)
 * replaced by "Dave" (fingerprint …); thresholds unchanged"), followed by the repositories it covers (all
 * when few or asked for in full, else the first 20 and a count per folder), and every other group is listed
 * as an exception with its repositories named. The review is not hashed: the batch ID already binds every
 * request, so listing the names changes no hash.
 */
import { createHash } from 'node:crypto';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { groupHex, groupWords, shortDigest, type ShortDigest } from '../crypto/digest-words.js';
import { asArray, asInteger, asObject, asString, quoteShown, refuseUnknownFields } from '../json/fields.js';
import { canonicalString } from '../json/canonical.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { gunFolderProblem } from '../tuf/gun.js';
import { fileOnTheWay, foldPath } from '../tuf/folder-under-file.js';
import { TOP_LEVEL_ROLES } from '../tuf/root.js';
import { SignatureWork } from '../tuf/signature-work.js';
import type { ListedKey } from '../tuf/keys.js';
import {
  REQUEST_MAX_BYTES,
  RESPONSE_MAX_BYTES,
  parseSignatureResponseValue,
  parseSigningRequestValue,
  serializeSignatureResponse,
  serializeSigningRequest,
  sortedJson,
  type SignatureResponse,
  type SigningRequest,
} from './request.js';
import { mergeResponses, type MergeResult } from './merge.js';
import { describeRequest, reasonText } from './describe.js';
import { certificateWarnings } from './certificate-renewal.js';
import { expiryShown } from './expiry-shown.js';

export const BATCH_REQUEST_FORMAT = 'tuf-ceremony-batch-signing-request';
export const BATCH_RESPONSE_FORMAT = 'tuf-ceremony-batch-signature-response';
export const BATCH_REQUEST_MAX_BYTES = 128 * 1024 * 1024;
export const BATCH_RESPONSE_MAX_BYTES = 64 * 1024 * 1024;
export const BATCH_MAX_REQUESTS = 5_000;
/** JSON values a batch may hold: ~800 per Notary root request (two roots, certificates), with room. */
const BATCH_MAX_VALUES = BATCH_MAX_REQUESTS * 1_000;

const BATCH_TAG = 'tuf-ceremony batch signing request v1\n';
const HEX64 = /^[0-9a-f]{64}$/;

export interface BatchRequest {
  requests: SigningRequest[];
  batchId: string;
  /** The short form of the batch ID: what the co-signer reads aloud and `--expect-hash` compares. */
  digest: ShortDigest;
}

export interface BatchResponse {
  batchId: string;
  responses: SignatureResponse[];
}

function batchIdOf(requests: readonly Pick<SigningRequest, 'repository' | 'requestId' | 'payloadSha256'>[]): string {
  const list = requests.map((r): JsonObject => ({ payloadSha256: r.payloadSha256, repository: r.repository, requestId: r.requestId }));
  return createHash('sha256').update(BATCH_TAG).update(canonicalString(list, 'json')).digest('hex');
}

/**
 * One name per batch, whatever its profile: the merged files are written under the repository's name, so
 * names that differ only in case are one name (they would collide on a case-insensitive file system, and
 * be found only at merge, after every signature was collected).
 */
function repositoryKey(r: Pick<SigningRequest, 'profile' | 'repository'>): string {
  return r.repository.toLowerCase();
}

/**
 * A batch carries root changes only: its review says the change once, in words that hold for every
 * repository, and for a root change those words are complete (changeWords). A targets or delegated role
 * change (target files, delegations, carried trusted_root.json) is reviewed one repository at a time.
 */
function checkBatchable(r: { role: string; repository: string }, code: 'SCHEMA_INVALID' | 'USAGE', path: string): void {
  if (r.role !== 'root') {
    throw new CeremonyError(code, `the request for ${quoteShown(r.repository)} changes ${r.role}.json: a batch carries root changes only (a targets or delegated role change is signed one repository at a time, with its own review)`, { path });
  }
}

/**
 * Distinct repositories with folder-safe names, none inside another's merged file (SCHEMA_INVALID at
 * `$.requests[i].repository`).
 */
function checkRepositories(requests: readonly Pick<SigningRequest, 'profile' | 'repository' | 'role'>[], code: 'SCHEMA_INVALID' | 'USAGE'): void {
  const seen = new Map<string, number>();
  // The merge writes `<out>/<repository>/<role>.json`: `site/app` writes `site/app/root.json`, which
  // `site/app/root.json`'s merged file needs as a folder (review-13a L3). Refused here, when the batch is
  // made and when it is read to be signed, not at the merge after every signature was collected.
  const merged = new Map(requests.map((r, i) => [foldPath(`${r.repository}/${r.role}.json`), i] as const));
  requests.forEach((r, i) => {
    const path = `$.requests[${i}].repository`;
    // A repository name that can name a folder (tuf/gun.ts: the trust store's rule).
    const gunProblem = gunFolderProblem(r.repository);
    if (gunProblem !== undefined) {
      throw new CeremonyError(code, `repository ${quoteShown(r.repository)} cannot name a folder (segments of letters, digits and . _ : -): ${gunProblem}; a batch writes each merged file under its repository's name`, { path });
    }
    const earlier = seen.get(repositoryKey(r));
    if (earlier !== undefined) throw new CeremonyError(code, `repository ${quoteShown(r.repository)} is in the batch twice (requests ${earlier} and ${i}; one name per batch, whatever the profile or case)`, { path });
    seen.set(repositoryKey(r), i);
  });
  requests.forEach((r, i) => {
    const clash = fileOnTheWay(r.repository, merged);
    if (clash === undefined) return;
    const other = requests[clash.owner]!;
    throw new CeremonyError(
      code,
      `repository ${quoteShown(r.repository)} (request ${i}) would be a folder where repository ${quoteShown(other.repository)} (request ${clash.owner}) writes its merged file ${quoteShown(`${other.repository}/${other.role}.json`)}: one path cannot be both; sign them in two batches, or rename one`,
      { path: `$.requests[${i}].repository` },
    );
  });
}

/** A batch of single requests (each already built and checked), in the order given. */
export function buildBatchRequest(requests: readonly SigningRequest[]): BatchRequest {
  if (requests.length === 0) throw new CeremonyError('USAGE', 'a batch holds at least one signing request');
  if (requests.length > BATCH_MAX_REQUESTS) throw new CeremonyError('INPUT_TOO_LARGE', `${requests.length} requests exceed the cap of ${BATCH_MAX_REQUESTS} per batch`);
  checkRepositories(requests, 'USAGE');
  for (const [i, r] of requests.entries()) {
    checkBatchable(r, 'USAGE', `$.requests[${i}].role`);
    const size = serializeSigningRequest(r).length;
    if (size > REQUEST_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `request ${i} (${quoteShown(r.repository)}) is ${size} bytes, over the ${REQUEST_MAX_BYTES}-byte cap of one request`);
  }
  const batchId = batchIdOf(requests);
  return { requests: [...requests], batchId, digest: shortDigest(batchId) };
}

const decoder = new TextDecoder();

export function serializeBatchRequest(b: BatchRequest): Uint8Array {
  // Our own output, parsed back into objects to embed (sortedJson sorts every level again).
  const requests = b.requests.map((r) => JSON.parse(decoder.decode(serializeSigningRequest(r))) as JsonObject);
  const bytes = new TextEncoder().encode(sortedJson({ format: BATCH_REQUEST_FORMAT, version: 1, requests, batchId: b.batchId }));
  if (bytes.length > BATCH_REQUEST_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `the batch request would be ${bytes.length} bytes, over its cap of ${BATCH_REQUEST_MAX_BYTES}`);
  return bytes;
}

function header(obj: JsonObject, want: string): void {
  const f = asString(obj.format, '$.format');
  if (f !== want) throw new CeremonyError('SCHEMA_INVALID', `this is not a ${want} (format ${JSON.stringify(f)})`, { path: '$.format' });
  const v = asInteger(obj.version, '$.version', 1);
  if (v !== 1) throw new CeremonyError('SCHEMA_INVALID', `${want} version ${v} is not one this tool reads (1)`, { path: '$.version' });
}

function hexField(value: JsonValue | undefined, path: string): string {
  const s = asString(value, path);
  if (!HEX64.test(s)) throw new CeremonyError('SCHEMA_INVALID', 'expected 64 lower-case hex characters', { path });
  return s;
}

/** A refusal inside entry `i`: the same code, its path under `$.<list>[i]`, the repository named when known. */
function inEntry(err: unknown, list: string, i: number, what: string): never {
  if (!isCeremonyError(err)) throw err;
  const inner = err.path && err.path.startsWith('$') ? err.path.slice(1) : '';
  throw new CeremonyError(err.code, `${list}[${i}]${what}: ${messageWithoutPath(err)}`, { path: `$.${list}[${i}]${inner}`, cause: err });
}

/** Whether bytes claim to be a batch request / response (the `format` field; nothing trusted). */
export function batchFormatOf(bytes: Uint8Array): typeof BATCH_REQUEST_FORMAT | typeof BATCH_RESPONSE_FORMAT | undefined {
  // Cheap sniff on the first bytes: the format field is sorted after "batchId" and before "requests".
  const head = decoder.decode(bytes.subarray(0, 4096));
  const m = /"format"\s*:\s*"(tuf-ceremony-batch-signing-request|tuf-ceremony-batch-signature-response)"/.exec(head);
  return m ? (m[1] as typeof BATCH_REQUEST_FORMAT | typeof BATCH_RESPONSE_FORMAT) : undefined;
}

/** Parse a batch request: size cap → strict JSON → schema → every request as a single one → repositories → batch ID. */
export function parseBatchRequest(bytes: Uint8Array, source = 'batch request'): BatchRequest {
  if (bytes.length > BATCH_REQUEST_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `${source} is ${bytes.length} bytes, over the cap of ${BATCH_REQUEST_MAX_BYTES} for a batch request`, { path: '$' });
  const obj = asObject(parseJsonStrict(bytes, { maxBytes: BATCH_REQUEST_MAX_BYTES, maxValues: BATCH_MAX_VALUES, path: '$' }), '$');
  header(obj, BATCH_REQUEST_FORMAT);
  refuseUnknownFields(obj, new Set(['format', 'version', 'requests', 'batchId']), '$');
  const list = asArray(obj.requests, '$.requests');
  if (list.length === 0) throw new CeremonyError('SCHEMA_INVALID', 'a batch holds at least one signing request', { path: '$.requests' });
  if (list.length > BATCH_MAX_REQUESTS) throw new CeremonyError('INPUT_TOO_LARGE', `${list.length} requests exceed the cap of ${BATCH_MAX_REQUESTS} per batch`, { path: '$.requests' });
  const batchId = hexField(obj.batchId, '$.batchId');
  // One signature-work limit for the whole batch, not one per request (review-13b H2): the co-signer reviews
  // it as one, and 32 requests at the 4 MiB cap, each just under a limit of its own, would be 64 GiB hashed.
  // A real batch checks no signature while it is parsed (a root request's parse verifies none:
  // parsePreviousRoot), so the limit costs it nothing; it bounds what a request of another kind would make
  // before checkBatchable refuses it, should one reach the parse.
  const work = new SignatureWork();
  const requests = list.map((value, i) => {
    const repo = value && typeof value === 'object' && !Array.isArray(value) && typeof value.repository === 'string' ? ` (${quoteShown(value.repository)})` : '';
    try {
      // A batch carries root changes only: a targets or delegated request is refused by its role before its
      // parse verifies the root, targets.json N and the files it carries (signature work for a refusal).
      if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.role === 'string' && value.role !== 'root') {
        checkBatchable({ role: value.role, repository: typeof value.repository === 'string' ? value.repository : '' }, 'SCHEMA_INVALID', '$.role');
      }
      const request = parseSigningRequestValue(value, `${source} request ${i}`, work);
      checkBatchable(request, 'SCHEMA_INVALID', '$.role');
      // As written, no larger than a single request may be (the per-request cap holds inside a batch too).
      const size = serializeSigningRequest(request).length;
      if (size > REQUEST_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `the request is ${size} bytes, over the ${REQUEST_MAX_BYTES}-byte cap of one request`, { path: '$' });
      return request;
    } catch (err) {
      return inEntry(err, 'requests', i, repo);
    }
  });
  checkRepositories(requests, 'SCHEMA_INVALID');
  if (batchIdOf(requests) !== batchId) {
    throw new CeremonyError('ROTATION_REQUEST_TAMPERED', 'the batch\'s requests are not the ones it was made with (its batch ID does not match: a request edited, added, dropped or reordered): do not sign it; ask for the batch again', { path: '$.batchId' });
  }
  return { requests, batchId, digest: shortDigest(batchId) };
}

export function serializeBatchResponse(r: BatchResponse): Uint8Array {
  const responses = r.responses.map((x) => JSON.parse(decoder.decode(serializeSignatureResponse(x))) as JsonObject);
  return new TextEncoder().encode(sortedJson({ format: BATCH_RESPONSE_FORMAT, version: 1, batchId: r.batchId, responses }));
}

export function parseBatchResponse(bytes: Uint8Array): BatchResponse {
  if (bytes.length > BATCH_RESPONSE_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `the batch response is ${bytes.length} bytes, over the cap of ${BATCH_RESPONSE_MAX_BYTES}`, { path: '$' });
  const obj = asObject(parseJsonStrict(bytes, { maxBytes: BATCH_RESPONSE_MAX_BYTES, maxValues: BATCH_MAX_VALUES, path: '$' }), '$');
  header(obj, BATCH_RESPONSE_FORMAT);
  refuseUnknownFields(obj, new Set(['format', 'version', 'batchId', 'responses']), '$');
  const batchId = hexField(obj.batchId, '$.batchId');
  const list = asArray(obj.responses, '$.responses');
  if (list.length === 0) throw new CeremonyError('SCHEMA_INVALID', 'a batch response answers at least one request', { path: '$.responses' });
  if (list.length > BATCH_MAX_REQUESTS) throw new CeremonyError('INPUT_TOO_LARGE', `${list.length} responses exceed the cap of ${BATCH_MAX_REQUESTS}`, { path: '$.responses' });
  const responses = list.map((v, i) => {
    try {
      const r = parseSignatureResponseValue(v);
      if (serializeSignatureResponse(r).length > RESPONSE_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `the response is over the ${RESPONSE_MAX_BYTES}-byte cap of one response`, { path: '$' });
      return r;
    } catch (err) {
      return inEntry(err, 'responses', i, '');
    }
  });
  const seen = new Set<string>();
  responses.forEach((r, i) => {
    if (seen.has(r.requestId)) throw new CeremonyError('SCHEMA_INVALID', `two responses answer request ${r.requestId.slice(0, 16)}…`, { path: `$.responses[${i}].requestId` });
    seen.add(r.requestId);
  });
  return { batchId, responses };
}

/** Which requests of a batch one key signs (sign.ts signBatch). */
export interface BatchSignPlan {
  /** Requests this key signs, by index. */
  signs: number[];
  /** Repositories where it has nothing to sign (listed in the review: an exception, not an error). */
  skips: number[];
}

export interface BatchMergeEntry {
  repository: string;
  profile: SigningRequest['profile'];
  result: MergeResult;
}

export interface BatchMergeResult {
  batchId: string;
  entries: BatchMergeEntry[];
  final: boolean;
  /** "240 of 240 repositories complete" / "238 of 240 complete; waiting in 2: …" */
  status: string;
}

/**
 * Merge batch responses (and plain single responses, for a co-signer who answered one repository alone)
 * per repository: each response goes to the request whose ID it carries (ROTATION_RESPONSE_MISMATCH when
 * none has it; a batch response for another batch likewise), then each repository merges as a single
 * request does — every refusal there refuses the whole merge, naming the repository.
 */
export function mergeBatch(batch: BatchRequest, answers: readonly (BatchResponse | SignatureResponse)[]): BatchMergeResult {
  const byId = new Map(batch.requests.map((r, i) => [r.requestId, i]));
  const perRequest: SignatureResponse[][] = batch.requests.map(() => []);
  answers.forEach((a, n) => {
    const list = 'responses' in a ? a.responses : [a];
    if ('responses' in a && a.batchId !== batch.batchId) {
      throw new CeremonyError('ROTATION_RESPONSE_MISMATCH', `response ${n + 1} answers another batch (${a.batchId.slice(0, 16)}…, not ${batch.batchId.slice(0, 16)}…)`, { path: `response ${n + 1} $.batchId` });
    }
    list.forEach((r, i) => {
      const at = byId.get(r.requestId);
      if (at === undefined) {
        throw new CeremonyError('ROTATION_RESPONSE_MISMATCH', `response ${n + 1} (${r.signer.name}) entry ${i} answers a request that is not in this batch (${r.requestId.slice(0, 16)}…)`, { path: `response ${n + 1} $.responses[${i}].requestId` });
      }
      perRequest[at]!.push(r);
    });
  });
  const entries = batch.requests.map((request, i): BatchMergeEntry => {
    try {
      return { repository: request.repository, profile: request.profile, result: mergeResponses(request, perRequest[i]!) };
    } catch (err) {
      if (isCeremonyError(err)) throw new CeremonyError(err.code, `${request.profile} repository ${quoteShown(request.repository)}: ${messageWithoutPath(err)}`, { path: err.path, cause: err });
      throw err;
    }
  });
  const waiting = entries.filter((e) => !e.result.final);
  const final = waiting.length === 0;
  const n = entries.length;
  const status = final
    ? `${n} of ${n} repositories complete`
    : `${n - waiting.length} of ${n} repositories complete; waiting in ${waiting.length}: ${waiting
        .slice(0, 10)
        .map((e) => `${quoteShown(e.repository)} (${e.result.status})`)
        .join('; ')}${waiting.length > 10 ? `; and ${waiting.length - 10} more` : ''}`;
  return { batchId: batch.batchId, entries, final, status };
}

// --- the review ---------------------------------------------------------------------------------------

interface KeyWords {
  fingerprint: string;
  name: string | undefined;
}

/** One repository's change, in words that do not depend on key IDs (so equal changes read the same). */
function changeWords(request: SigningRequest): string[] {
  const names = new Map<string, string>();
  const prev = request.role === 'targets' ? request.root : request.previous.signed;
  const next = request.root;
  const lookup = (id: string): ListedKey | undefined => next.keys.get(id) ?? prev.keys.get(id);
  for (const [id, name] of request.keyNames ?? []) {
    const k = lookup(id);
    if (k) names.set(k.key.fingerprint, name);
  }
  for (const s of request.expectedSigners) {
    const k = lookup(s.keyid);
    if (k) names.set(k.key.fingerprint, s.name);
  }
  const reasons = new Map<string, string>();
  for (const s of request.expectedSigners) if (s.reason) reasons.set(lookup(s.keyid)?.key.fingerprint ?? s.keyid, s.reason);
  const key = (k: KeyWords): string => `${k.name !== undefined ? `${quoteShown(k.name)} ` : ''}(fingerprint ${groupHex(shortDigest(k.fingerprint).hex)})`;
  const out: string[] = [];
  let thresholds = false;
  for (const role of TOP_LEVEL_ROLES) {
    const before = prev.roles.get(role)!;
    const after = next.roles.get(role)!;
    const oldFps = before.keyids.map((id) => prev.keys.get(id)!.key.fingerprint);
    const newFps = after.keyids.map((id) => next.keys.get(id)!.key.fingerprint);
    const removed = oldFps.filter((f) => !newFps.includes(f));
    const added = newFps.filter((f) => !oldFps.includes(f));
    const pairs = Math.min(removed.length, added.length);
    const words = (f: string): KeyWords => ({ fingerprint: f, name: names.get(f) });
    for (let i = 0; i < pairs; i++) {
      const why = reasons.get(removed[i]!);
      out.push(`${role} key ${key(words(removed[i]!))} replaced by ${key(words(added[i]!))}${why ? reasonText(why as 'lost') : ''}`);
    }
    for (const f of removed.slice(pairs)) out.push(`${role} key ${key(words(f))} removed`);
    for (const f of added.slice(pairs)) out.push(`${role} key ${key(words(f))} added`);
    if (before.threshold !== after.threshold || before.keyids.length !== after.keyids.length) {
      if (before.threshold !== after.threshold) thresholds = true;
      out.push(`${role}: ${before.threshold} of ${before.keyids.length} keys → ${after.threshold} of ${after.keyids.length}`);
    }
  }
  if (!thresholds) out.push('thresholds unchanged');
  // Everything else the single review says (describe.ts), in words without key IDs, so that a repository
  // whose change differs in any of it is an exception the co-signer sees, never folded into the summary.
  const described = describeRequest(request);
  for (const c of described.changes) {
    if (c.kind === 'key-relisted') {
      const fp = next.keys.get(c.newKeyid)?.key.fingerprint ?? c.newKeyid;
      out.push(`${c.role} key ${key({ fingerprint: fp, name: names.get(fp) })} listed under a new key ID${c.certificate ? ' (its certificate renewed; same key)' : ''}`);
    } else if (c.kind === 'other-field') out.push(`the field ${quoteShown(c.field)} changes`);
  }
  if (prev.expiresText !== next.expiresText) {
    out.push(next.expires.getTime() < prev.expires.getTime() ? `root expiry is SHORTENED from ${expiryShown(prev.expiresText)} to ${expiryShown(next.expiresText)}` : `root expires ${expiryShown(next.expiresText)}`);
  }
  if (prev.consistentSnapshot !== next.consistentSnapshot) out.push(`consistent_snapshot ${String(prev.consistentSnapshot)} → ${String(next.consistentSnapshot)}`);
  if (request.profile === 'notary') {
    const warnings = certificateWarnings(next, (k) => names.get(k.key.fingerprint) ?? `the key with fingerprint ${groupHex(shortDigest(k.key.fingerprint).hex)}`);
    if (warnings.length > 0) out.push(...warnings);
  }
  // Review-15a F4: every other difference in the signed bytes, with its JSON path (review-diff.ts). Part of
  // the group's words, so a repository with one is never folded into a group without it (describeBatch).
  out.push(...described.alsoChanges);
  return out;
}

/** An "also changes" line (review-diff.ts alsoChangesLines): printed on its own line, and its group is never the summary while another is not so marked. */
function isAlsoChange(word: string): boolean {
  return word.startsWith('also changes: ');
}

/** A group's words on one line, each "also changes" line after it on its own (they may be many and long). */
function groupText(change: readonly string[], indent: string): { head: string; also: string[] } {
  return { head: change.filter((w) => !isAlsoChange(w)).join('; '), also: change.filter(isAlsoChange).map((w) => `${indent}${w}`) };
}

export interface BatchGroup {
  /** What the change is, in words (the same for every repository in the group). */
  change: string[];
  repositories: { profile: SigningRequest['profile']; repository: string; fromVersion: number; toVersion: number }[];
}

export interface BatchDescription {
  batchId: string;
  digest: ShortDigest;
  count: number;
  /** The largest group: the change the batch makes. */
  summary: BatchGroup;
  /** Every other group: repositories whose change reads differently. */
  exceptions: BatchGroup[];
  lines: string[];
  text: string;
}

/** Repositories named in the review's main group before "and N more" (all with `full`). */
export const BATCH_REVIEW_NAMES = 20;
const BATCH_REVIEW_PREFIXES = 10;

/**
 * The main group's repositories in words (review-13a L4): which repositories a change covers is part of
 * what changes (PRODUCT §1: never sign what you cannot read), and the hash does not help when the person
 * who made the batch added one. All of them when few (or `full`); else the first BATCH_REVIEW_NAMES and
 * a count per folder prefix, so one `prod/payments` among 240 `site/app-N` stands out without a scroll.
 * `fullFlag`: how this reader asks for every name (the CLI's `--full`), said after "and N more"; the
 * rehearsal's review has no such flag, so it names none.
 */
function namesLines(repositories: readonly { repository: string }[], full: boolean, fullFlag: string | undefined): string[] {
  const names = repositories.map((r) => quoteShown(r.repository));
  if (full || names.length <= BATCH_REVIEW_NAMES) return [`  repositories: ${names.join(', ')}`];
  const byPrefix = new Map<string, number>();
  for (const { repository } of repositories) {
    const cut = repository.lastIndexOf('/');
    const prefix = cut < 0 ? '(no folder)' : quoteShown(`${repository.slice(0, cut + 1)}…`);
    byPrefix.set(prefix, (byPrefix.get(prefix) ?? 0) + 1);
  }
  const prefixes = [...byPrefix].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = prefixes.slice(0, BATCH_REVIEW_PREFIXES).map(([p, n]) => `${p} ${n}`);
  const more = prefixes.length - shown.length;
  return [
    `  repositories: ${names.slice(0, BATCH_REVIEW_NAMES).join(', ')}, and ${names.length - BATCH_REVIEW_NAMES} more${fullFlag ? ` (every name: ${fullFlag})` : ''}`,
    `  by folder: ${shown.join(', ')}${more > 0 ? `, and ${more} more folders` : ''}`,
  ];
}

/** Say what the batch changes once, and where, list the exceptions, and the one hash to read aloud. */
export function describeBatch(batch: BatchRequest, opts: { signs?: BatchSignPlan; full?: boolean; fullFlag?: string } = {}): BatchDescription {
  const groups = new Map<string, BatchGroup>();
  for (const r of batch.requests) {
    const change = changeWords(r);
    const k = change.join('\n');
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { change, repositories: [] }));
    const fromVersion = r.role === 'targets' ? r.targets!.previous.signed.version : r.previous.signed.version;
    const toVersion = r.role === 'targets' ? r.targets!.next.version : r.root.version;
    g.repositories.push({ profile: r.profile, repository: r.repository, fromVersion, toVersion });
  }
  // The summary is the largest group whose change has no "also changes" line (review-15a F4): a repository
  // whose signed bytes differ in anything the sentences do not say is an exception, listed with those lines.
  const extra = (g: BatchGroup): number => (g.change.some(isAlsoChange) ? 1 : 0);
  const sorted = [...groups.values()].sort((a, b) => extra(a) - extra(b) || b.repositories.length - a.repositories.length);
  const [summary, ...exceptions] = sorted as [BatchGroup, ...BatchGroup[]];
  const n = batch.requests.length;
  const kinds = [...new Set(batch.requests.map((r) => r.role))];
  const lines: string[] = [];
  lines.push(`Batch signing request: ${n} repositor${n === 1 ? 'y' : 'ies'} (${kinds.map((k) => `${k}`).join(' and ')} metadata)`);
  const list = (g: BatchGroup, max: number): string =>
    `${g.repositories
      .slice(0, max)
      .map((r) => quoteShown(r.repository))
      .join(', ')}${g.repositories.length > max ? `, and ${g.repositories.length - max} more` : ''}`;
  const main = groupText(summary.change, '  ');
  lines.push(`In ${summary.repositories.length} repositor${summary.repositories.length === 1 ? 'y' : 'ies'}: ${main.head}`, ...main.also);
  lines.push(...namesLines(summary.repositories, opts.full === true, opts.fullFlag));
  if (exceptions.length === 0) lines.push('Exceptions: none (every repository makes this same change)');
  else {
    const other = exceptions.reduce((s, g) => s + g.repositories.length, 0);
    lines.push(`Exceptions: ${other} repositor${other === 1 ? 'y makes' : 'ies make'} another change:`);
    for (const g of exceptions) {
      const t = groupText(g.change, '    ');
      lines.push(`  in ${g.repositories.length} (${list(g, opts.full ? g.repositories.length : 20)}): ${t.head}`, ...t.also);
    }
  }
  if (opts.signs && opts.signs.skips.length > 0) {
    const skipped = opts.signs.skips.map((i) => quoteShown(batch.requests[i]!.repository));
    lines.push(`This key signs in ${opts.signs.signs.length}; it has nothing to sign in ${skipped.length}: ${skipped.slice(0, 20).join(', ')}${skipped.length > 20 ? ', …' : ''}`);
  }
  lines.push(`Batch hash (covers every repository's payload, previous root and review): SHA-256 ${batch.batchId}`);
  lines.push(`  short hash ${groupHex(batch.digest.hex)} — read aloud: ${groupWords(batch.digest.words)}`);
  lines.push('Names are labels written by whoever made the request; the fingerprints are what identify a key.');
  return { batchId: batch.batchId, digest: batch.digest, count: n, summary, exceptions, lines, text: lines.join('\n') };
}

/** Hash words of the batch, for `checkExpectedHash` (src/cli/sign.ts): the short form and the full ID. */
export function batchDigestForCheck(batch: BatchRequest): { sha256: string; hex: string } {
  return { sha256: batch.batchId, hex: batch.digest.hex };
}
