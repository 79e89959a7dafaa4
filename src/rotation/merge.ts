/**
 * Merge signature responses into root N+1 (PRODUCT.md §2.4), in any order. Each response must be for this
 * request (request ID and payload hash: ROTATION_RESPONSE_MISMATCH); each signature by a key of the previous
 * or the new root role (ROTATION_SIGNER_UNKNOWN), by a key that has not signed already
 * (ROTATION_SIGNATURE_DUPLICATE), and valid over the canonical payload (ROTATION_SIGNATURE_INVALID).
 *
 * The result is a value to show — "2 of 3 old keys, 1 of 2 new keys; waiting for: Bob (old), Carol (new)" —
 * with a VerificationResult per side. It is `final` only when both thresholds are met; the new root's bytes
 * are then returned, after verifyRootUpdate(previous, new) (TUF 5.3.4) accepted them. `finalizeMerge`
 * refuses a partial result with ROOT_NOT_SIGNED_BY_PREVIOUS / ROOT_NOT_SIGNED_BY_SELF.
 *
 * Targets requests (targets.json N+1): one policy, the trusted root's targets role. Signatures must be by
 * its keys (ROTATION_SIGNER_UNKNOWN otherwise), the rest as above; `previous` and `new` are then the same
 * result, the status reads "1 of 2 targets keys; waiting for: QA (targets)", and when final the bytes are
 * re-parsed and verified as a client would (TUF 5.6.3, version N+1) before they are returned
 * (`bytes`, also as `root` so callers written for root requests write the merged file unchanged).
 * `finalizeMerge` refuses a partial targets result with THRESHOLD_NOT_MET.
 *
 * A targets request with a revoke-tags part (revoke-tags.ts, issue #14) merges two files: each response
 * answers one part (its payloadSha256 says which); targets.json N+1 as above, the role's file N+1 as a
 * delegated role request under targets.json N+1's entry for the role. The result is final only when BOTH
 * are; one without the other is refused with MERGE_HALF_SIGNED (the role's old tags would stay trusted,
 * or come back, in between) and neither file's bytes are returned.
 */
import { CeremonyError } from '../errors.js';
import type { SignatureJson } from '../profiles/profile.js';
import type { ListedKey } from '../tuf/keys.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata } from '../tuf/metadata.js';
import { checkNotaryRootCertificates } from '../tuf/notary-root.js';
import { verifyRootSelf, verifyRootUpdate } from '../tuf/root-chain.js';
import { serializeMetadata } from '../tuf/sign.js';
import { verifyRole, type VerificationResult } from '../tuf/verify.js';
import { checkRequestRenewal, signerKeys, type SignatureResponse, type SigningRequest } from './request.js';
import { revokeTagsRequest } from './revoke-tags.js';

export interface WaitingFor {
  keyid: string;
  name: string;
  /** Root requests: which root still needs the key; targets requests: 'new' (targets.json N+1 needs it). */
  side: 'old' | 'new' | 'both';
}

export interface MergeResult {
  requestId: string;
  /** Which file the merge makes: root.json N+1 or targets.json N+1. */
  role: 'root' | 'targets';
  /** Delegated role requests: the role whose file the merge makes (role is then 'targets'). */
  delegation?: string;
  /** Its version. */
  version: number;
  /** By the previous root's root role (version N). */
  previous: VerificationResult;
  /** By the new root's own root role (version N+1). */
  new: VerificationResult;
  /** Every accepted signature, in the order merged. */
  signatures: SignatureJson[];
  /** Who signed, by response (for the transcript and the screen). */
  signers: { name: string; keyids: string[]; token?: { serial: string; label?: string } }[];
  waitingFor: WaitingFor[];
  final: boolean;
  /** "2 of 3 old keys, 1 of 2 new keys; waiting for: Bob (old), Carol (new)". */
  status: string;
  /**
   * The merged file, only when final: root requests — the new root, accepted by verifyRootUpdate; targets
   * requests — targets.json N+1, verified against the root's targets role (the same bytes as `bytes`).
   */
  root?: Uint8Array;
  /** The merged file (root.json or targets.json), only when final. */
  bytes?: Uint8Array;
  /**
   * Requests with a revoke-tags part: that part's merge (the role's file N+1; its `bytes` only when the
   * whole result is final). `final`, `status` and `waitingFor` above then cover both parts.
   */
  revokeTags?: MergeResult;
}

function keyFor(request: SigningRequest, keyid: string): ListedKey | undefined {
  return signerKeys(request)(keyid);
}

function nameOf(request: SigningRequest, keyid: string): string {
  return request.expectedSigners.find((s) => s.keyid === keyid)?.name ?? `key ${keyid.slice(0, 8)}`;
}

function count(r: VerificationResult, side: string, total: number): string {
  const of = total !== r.threshold ? ` (of ${total})` : '';
  // More signatures than the threshold: never "3 of 2 new keys".
  if (r.signed.length > r.threshold) return `${r.signed.length} ${side} keys signed, ${r.threshold} needed${of}`;
  return `${r.signed.length} of ${r.threshold} ${side} keys${of}`;
}

/** Refusals shared by both kinds: this request, these bytes, known keys, once each, valid signatures. */
function collect(request: SigningRequest, responses: readonly SignatureResponse[], known: (keyid: string) => boolean, stranger: (keyid: string) => string): { signatures: SignatureJson[]; signers: MergeResult['signers'] } {
  const profile = request.previous.profile;
  const byKeyId = new Map<string, string>();
  const signatures: SignatureJson[] = [];
  const signers: MergeResult['signers'] = [];
  responses.forEach((response, r) => {
    const where = `response ${r + 1} (${response.signer.name})`;
    if (response.requestId !== request.requestId) {
      throw new CeremonyError('ROTATION_RESPONSE_MISMATCH', `${where} answers another signing request (${response.requestId.slice(0, 16)}…, not ${request.requestId.slice(0, 16)}…)`, { path: `${where} $.requestId` });
    }
    if (response.payloadSha256 !== request.payloadSha256) {
      throw new CeremonyError('ROTATION_RESPONSE_MISMATCH', `${where} signed other bytes (SHA-256 ${response.payloadSha256.slice(0, 16)}…) than this request's payload (${request.payloadSha256.slice(0, 16)}…)`, {
        path: `${where} $.payloadSha256`,
      });
    }
    const keyids: string[] = [];
    response.signatures.forEach((sig, i) => {
      const path = `${where} $.signatures[${i}]`;
      if (!known(sig.keyid)) throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `${where}: key ${sig.keyid.slice(0, 16)}… is ${stranger(sig.keyid)}`, { path });
      const earlier = byKeyId.get(sig.keyid);
      if (earlier !== undefined) {
        throw new CeremonyError('ROTATION_SIGNATURE_DUPLICATE', `${where}: key ${sig.keyid.slice(0, 16)}… (${nameOf(request, sig.keyid)}) already signed in ${earlier}`, { path });
      }
      const listed = keyFor(request, sig.keyid)!;
      const raw = profile.decodeSignature(sig, listed.key, path);
      if (!profile.verify(listed.key, raw, request.payloadBytes)) {
        throw new CeremonyError('ROTATION_SIGNATURE_INVALID', `${where}: the signature by key ${sig.keyid.slice(0, 16)}… (${nameOf(request, sig.keyid)}) does not verify over this request's payload`, { path });
      }
      byKeyId.set(sig.keyid, where);
      keyids.push(sig.keyid);
      signatures.push(sig);
    });
    signers.push(response.signer.token ? { name: response.signer.name, keyids, token: { ...response.signer.token } } : { name: response.signer.name, keyids });
  });
  return { signatures, signers };
}

/** targets.json N+1: one policy, the trusted root's targets role. */
function mergeTargets(request: SigningRequest, responses: readonly SignatureResponse[]): MergeResult {
  if (request.delegation) return mergeDelegated(request, responses);
  const profile = request.previous.profile;
  const rootVersion = request.root.version;
  const policy = request.root.roles.get('targets')!;
  const ids = new Set(policy.keyids);
  const { signatures, signers } = collect(request, responses, (id) => ids.has(id), () => `not a targets key of root version ${rootVersion}`);
  const bytes = serializeMetadata(profile, { signed: request.payload, signatures });
  const next = parseMetadata(bytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: `targets.json v${request.targets!.next.version}` });
  const result = verifyRole(next, 'targets', policy, request.root.keys);
  const signedIds = new Set(signatures.map((s) => s.keyid));
  const waitingFor: WaitingFor[] = result.verified ? [] : request.expectedSigners.filter((s) => !signedIds.has(s.keyid)).map((s) => ({ keyid: s.keyid, name: s.name, side: 'new' }));
  const version = next.signed.version;
  const counts = count(result, 'targets', policy.keyids.length);
  const status = result.verified
    ? `${counts}: threshold met, targets version ${version} is complete`
    : `${counts}; waiting for: ${waitingFor.map((w) => `${w.name} (targets)`).join(', ') || 'nobody listed (the expected signers cannot meet the threshold)'}`;
  const out: MergeResult = { requestId: request.requestId, role: 'targets', version, previous: result, new: result, signatures, signers, waitingFor, final: result.verified, status };
  if (result.verified) {
    // TUF 5.6.3–5.6.5: what a client checks of targets.json N+1, before the bytes leave this function.
    if (version !== request.targets!.previous.signed.version + 1) throw new CeremonyError('VERSION_MISMATCH', `targets.json is version ${version}, not ${request.targets!.previous.signed.version + 1}`);
    out.root = bytes;
    out.bytes = bytes;
  }
  return out;
}

/** A delegated role's file N+1: one policy, the delegation's keys and threshold in targets.json (TUF 5.6.7). */
function mergeDelegated(request: SigningRequest, responses: readonly SignatureResponse[]): MergeResult {
  const d = request.delegation!;
  const profile = request.previous.profile;
  const ids = new Set(d.role.keyids);
  const { signatures, signers } = collect(request, responses, (id) => ids.has(id), () => `not a key of ${d.name} in targets.json version ${d.delegator.signed.version}`);
  const bytes = serializeMetadata(profile, { signed: request.payload, signatures });
  const next = parseMetadata(bytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: `${d.name}.json v${request.targets!.next.version}` });
  const result = verifyRole(next, d.name, d.role, d.delegator.signed.delegations!.keys);
  const signedIds = new Set(signatures.map((s) => s.keyid));
  const waitingFor: WaitingFor[] = result.verified ? [] : request.expectedSigners.filter((s) => !signedIds.has(s.keyid)).map((s) => ({ keyid: s.keyid, name: s.name, side: 'new' }));
  const version = next.signed.version;
  const counts = count(result, d.name, d.role.keyids.length);
  const status = result.verified
    ? `${counts}: threshold met, ${d.name} version ${version} is complete`
    : `${counts}; waiting for: ${waitingFor.map((w) => `${w.name} (${d.name})`).join(', ') || 'nobody listed (the expected signers cannot meet the threshold)'}`;
  const out: MergeResult = { requestId: request.requestId, role: 'targets', delegation: d.name, version, previous: result, new: result, signatures, signers, waitingFor, final: result.verified, status };
  if (result.verified) {
    if (version !== request.targets!.previous.signed.version + 1) throw new CeremonyError('VERSION_MISMATCH', `${d.name}.json is version ${version}, not ${request.targets!.previous.signed.version + 1}`);
    out.root = bytes;
    out.bytes = bytes;
  }
  return out;
}

/** Both parts of a request with a revoke-tags part: final only together (module comment). */
function mergeWithRevokedTags(request: SigningRequest, responses: readonly SignatureResponse[]): MergeResult {
  const partRequest = revokeTagsRequest(request);
  const forPart = responses.filter((r) => r.payloadSha256 === partRequest.payloadSha256);
  const targets = mergeTargets(request, responses.filter((r) => r.payloadSha256 !== partRequest.payloadSha256));
  const part = mergeDelegated(partRequest, forPart);
  const final = targets.final && part.final;
  const status = `targets.json: ${targets.status}; ${part.delegation}.json (tags revoked): ${part.status}${final ? '' : targets.final || part.final ? ' — one part is complete and the other is not: both files are written together or not at all' : ''}`;
  const out: MergeResult = { ...targets, final, status, waitingFor: [...targets.waitingFor, ...part.waitingFor], signers: [...targets.signers, ...part.signers], revokeTags: part };
  if (!final) {
    delete out.root;
    delete out.bytes;
    delete part.root;
    delete part.bytes;
  }
  return out;
}

/** Check and combine the responses; never throws for "not enough yet". */
export function mergeResponses(request: SigningRequest, responses: readonly SignatureResponse[], now: Date = new Date()): MergeResult {
  if (request.revokeTags) return mergeWithRevokedTags(request, responses);
  if (request.role === 'targets') return mergeTargets(request, responses);
  const profile = request.previous.profile;
  const previousIds = new Set(request.policy.previous.keyids);
  const newIds = new Set(request.policy.new.keyids);
  const { signatures, signers } = collect(
    request,
    responses,
    (id) => previousIds.has(id) || newIds.has(id),
    () => `a root key of neither version ${request.previous.signed.version} nor ${request.root.version}`,
  );

  // A root notary's client would refuse is not merged (leaf, not SHA-1, valid now, one CN for all), nor a
  // renewal whose certificates the custodians' tokens did not issue as asked (CN = the GUN, the requested
  // validity, self-signed). The GUN is required of renewals only: a request names its repository as typed,
  // and older requests were made under a name that is not the certificates' CN.
  checkRequestRenewal(request);
  if (profile.name === 'notary') checkNotaryRootCertificates({ ...request.previous, signed: request.root, source: `root version ${request.root.version}` }, now, request.renewal ? request.repository : undefined);

  const envelope = { signed: request.payload, signatures };
  const bytes = serializeMetadata(profile, envelope);
  const next = parseMetadata(bytes, 'root', { maxBytes: 4 * 1024 * 1024, source: `root.json v${request.root.version}` });
  const byPrevious = verifyRole(next, 'root', request.previous.signed.roles.get('root')!, request.previous.signed.keys);
  const bySelf = verifyRootSelf(next);
  const final = byPrevious.verified && bySelf.verified;

  const waitingFor: WaitingFor[] = [];
  const signedIds = new Set(signatures.map((s) => s.keyid));
  for (const s of request.expectedSigners) {
    if (s.lost || signedIds.has(s.keyid)) continue;
    const needOld = s.from !== 'new' && !byPrevious.verified;
    const needNew = s.from !== 'previous' && !bySelf.verified;
    if (needOld && needNew) waitingFor.push({ keyid: s.keyid, name: s.name, side: 'both' });
    else if (needOld) waitingFor.push({ keyid: s.keyid, name: s.name, side: 'old' });
    else if (needNew) waitingFor.push({ keyid: s.keyid, name: s.name, side: 'new' });
  }
  const counts = `${count(byPrevious, 'old', request.policy.previous.keyids.length)}, ${count(bySelf, 'new', request.policy.new.keyids.length)}`;
  const status = final
    ? `${counts}: both thresholds met, root version ${request.root.version} is complete`
    : `${counts}; waiting for: ${waitingFor.map((w) => `${w.name} (${w.side === 'both' ? 'old and new' : w.side})`).join(', ') || 'nobody listed (the expected signers cannot meet the thresholds)'}`;
  const result: MergeResult = { requestId: request.requestId, role: 'root', version: request.root.version, previous: byPrevious, new: bySelf, signatures, signers, waitingFor, final, status };
  if (final) {
    // TUF 5.3.4: the same check a client makes, before the bytes leave this function.
    verifyRootUpdate(request.previous, next);
    result.root = bytes;
    result.bytes = bytes;
  }
  return result;
}

/**
 * The refusal a client would give for a partial result (`finalizeMerge`, and the CLI's `merge` without
 * --partial): targets.json N+1 short of the targets role's threshold → THRESHOLD_NOT_MET (TUF 5.6.3);
 * root N+1 short of the previous root's threshold → ROOT_NOT_SIGNED_BY_PREVIOUS, else of its own →
 * ROOT_NOT_SIGNED_BY_SELF (TUF 5.3.4). `hint` is appended to the message.
 */
export function notFinalRefusal(result: MergeResult, hint = ''): CeremonyError {
  if (result.revokeTags && result.new.verified !== result.revokeTags.new.verified) {
    return new CeremonyError('MERGE_HALF_SIGNED', `targets.json version ${result.version} and ${result.revokeTags.delegation}.json version ${result.revokeTags.version} are merged together or not at all: ${result.status}${hint}`, { path: '$.signatures' });
  }
  const code = result.role === 'targets' ? 'THRESHOLD_NOT_MET' : !result.previous.verified ? 'ROOT_NOT_SIGNED_BY_PREVIOUS' : 'ROOT_NOT_SIGNED_BY_SELF';
  return new CeremonyError(code, `${result.role} version ${result.version} is not final: ${result.status}${hint}`, { path: '$.signatures' });
}

/** The merged file's bytes, or the refusal a client would give for a partial result. */
export function finalizeMerge(request: SigningRequest, responses: readonly SignatureResponse[]): MergeResult & { root: Uint8Array } {
  const result = mergeResponses(request, responses);
  if (!result.final) throw notFinalRefusal(result);
  return result as MergeResult & { root: Uint8Array };
}
