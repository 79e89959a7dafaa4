import { CeremonyError, type ErrorCode } from '../errors.js';
import type { ListedKey } from './keys.js';
import type { Metadata } from './metadata.js';
import type { RolePolicy } from './role.js';
import type { SignatureWork } from './signature-work.js';

/**
 * The outcome of checking one role's signatures over one metadata file: a value to show ("2 of 3,
 * waiting for …"), not an exception (python-tuf `get_verification_result`). Thresholds count distinct
 * *public keys*: one key listed under two IDs is refused when the role is parsed, and here a key is
 * counted once whatever the ID it signed under.
 */
export interface VerificationResult {
  role: string;
  threshold: number;
  /** Key IDs (of the role) whose signatures verified. */
  signed: string[];
  /** Key IDs of the role that have not (validly) signed. */
  missing: string[];
  /** Key IDs of the role whose signature was present but did not verify. */
  invalid: string[];
  /** Key IDs that signed but are not keys of this role (another role's, or nobody's). */
  strangers: string[];
  verified: boolean;
  /**
   * Set when checking stopped at the threshold (VerifyRoleOptions.stopAtThreshold): `signed` holds the
   * first signatures that met it, and `missing` may name keys whose signatures were not checked.
   */
  partial?: true;
}

/**
 * Outcomes of signature checks over one document, by signature index: the fingerprint of the public key
 * checked and whether the signature verified under it (arrays, not a Map of "index:fingerprint" strings —
 * a root chain makes thousands of lookups). An index means nothing in another document: a memo is made
 * for one and verifyRole refuses it for any other.
 */
export interface SignatureMemo {
  readonly document: Metadata;
  fingerprints: (string | undefined)[];
  outcomes: boolean[];
  /**
   * Signature indexes whose check the verification's SignatureWork was charged for: an outcome put in by
   * a batch on other threads (root-chain-plan.ts) is charged when the walk first reads it, so a refusal
   * for too much work comes at the same signature with or without threads; the second role reading an
   * outcome (TUF 5.3.4's two checks of one root) is not charged again.
   */
  charged: boolean[];
}

export function newSignatureMemo(document: Metadata): SignatureMemo {
  return { document, fingerprints: [], outcomes: [], charged: [] };
}

/**
 * How a check may spare work, without changing what it accepts.
 *
 * - `memo`: outcomes of signature checks already made over the same document (by signature index and
 *   public-key fingerprint). TUF 5.3.4 checks a new root against the previous root role and then its own:
 *   a key kept across the rotation signed the same bytes once, so its signature is verified once.
 * - `stopAtThreshold`: stop verifying signatures once the threshold is met. For the intermediate roots of
 *   a chain, whose lists nobody reads; the signatures left unchecked are still decoded (a malformed one by
 *   a role key is refused all the same), and a result so made has `partial: true`.
 */
export interface VerifyRoleOptions {
  memo?: SignatureMemo;
  stopAtThreshold?: boolean;
  /**
   * The order to check the signatures in (indexes into `md.signatures`, each once), when it matters: with
   * `stopAtThreshold`, the signatures checked first are the ones that count. Default: file order.
   */
  order?: readonly number[];
  /** The verification's signature work (signature-work.ts): each check charged before it is made. */
  work?: SignatureWork;
}

/**
 * A signature entry that stands for "not signed yet": `"sig": ""`, which tuf-on-ci writes for every key
 * of a role that has not signed (sigstore's root-signing roots 12–14 carry them). python-tuf and tuf-js
 * count it as a signature that does not verify; it is neither a signature nor a malformed one, so it is
 * skipped: its key stays `missing`, and it is never refused as SIGNATURE_ENCODING as another non-hex
 * `sig` is. TUF profile only: Notary never writes one.
 */
export function isUnsignedPlaceholder(md: Metadata, sig: { sig: string }): boolean {
  return sig.sig === '' && md.profile.name === 'tuf';
}

/**
 * A key ID for a result to keep, equal to `id` but not a slice of a file's text. A string parsed from the
 * text is V8's view into it and keeps the whole text alive while it is held: a chain's thousand results
 * (shown by `verify --json`) kept a thousand root files' text alive, ≈ 2.4 MB promoted through every
 * scavenge of the walk (issue #18). The keys table's ID is an object property name, stored on its own;
 * a key ID the table lacks (a stranger's) is copied.
 */
function keptId(id: string, listed: ListedKey | undefined): string {
  if (listed !== undefined && listed.keyId === id) return listed.keyId;
  // JSON text of a string parses back to the same string, in memory of its own.
  return JSON.parse(JSON.stringify(id)) as string;
}

/**
 * TUF 5.3.4 / 5.4.2 / 5.5.2 / 5.6.2 / 5.6.7: check `md` against the keys and threshold that the
 * delegating role names. Bad crypto counts as "not signed"; bad encodings of a signature by a role key
 * throw SIGNATURE_ENCODING (a well-behaved signer never produces one).
 */
export function verifyRole(md: Metadata, role: string, policy: RolePolicy, keys: ReadonlyMap<string, ListedKey>, opts: VerifyRoleOptions = {}): VerificationResult {
  const data = md.signedBytes();
  const keyids = policy.keyids;
  // A role names a few keys: a linear search beats building a set per check; many keys get the set.
  const roleKeyIds = keyids.length > 8 ? new Set(keyids) : undefined;
  const signedFingerprints = new Set<string>();
  const signed: string[] = [];
  const invalid: string[] = [];
  const strangers: string[] = [];
  const memo = opts.memo;
  if (memo && memo.document !== md) throw new CeremonyError('INTERNAL', `a signature memo made for ${memo.document.source} was given for ${md.source}`);
  let partial = false;
  const sigs = md.signatures;
  const order = opts.order;
  if (order && order.length !== sigs.length) throw new CeremonyError('INTERNAL', 'a signature order must name every signature once');
  for (let n = 0; n < sigs.length; n++) {
    const i = order ? order[n]! : n;
    const sig = sigs[i]!;
    if (!(roleKeyIds ? roleKeyIds.has(sig.keyid) : keyids.includes(sig.keyid))) {
      strangers.push(keptId(sig.keyid, keys.get(sig.keyid)));
      continue;
    }
    const listed = keys.get(sig.keyid);
    if (!listed) {
      strangers.push(keptId(sig.keyid, undefined));
      continue;
    }
    if (isUnsignedPlaceholder(md, sig)) continue;
    const raw = md.profile.decodeSignature(sig, listed.key, `${md.source} $.signatures[${i}]`);
    if (opts.stopAtThreshold && signedFingerprints.size >= policy.threshold) {
      partial = true;
      continue;
    }
    const fingerprint = listed.key.fingerprint;
    let ok = memo && memo.fingerprints[i] === fingerprint ? memo.outcomes[i] : undefined;
    if (ok === undefined) {
      ok = signatureVerifies(md, listed, raw, data, opts.work);
      if (memo) {
        memo.fingerprints[i] = fingerprint;
        memo.outcomes[i] = ok;
        memo.charged[i] = true;
      }
    } else if (opts.work && !memo!.charged[i]) {
      // Checked ahead by a batch (the only other writer of a memo): charged as the walk would have been.
      opts.work.charge(data.length, md.source);
      memo!.charged[i] = true;
    }
    const keyid = keptId(sig.keyid, listed);
    if (!ok) {
      invalid.push(keyid);
      continue;
    }
    if (signedFingerprints.has(listed.key.fingerprint)) continue;
    signedFingerprints.add(listed.key.fingerprint);
    signed.push(keyid);
  }
  const signedSet = new Set(signed);
  const missing: string[] = [];
  for (const id of keyids) if (!signedSet.has(id)) missing.push(keptId(id, keys.get(id)));
  const out: VerificationResult = { role, threshold: policy.threshold, signed, missing, invalid, strangers, verified: signedFingerprints.size >= policy.threshold };
  if (partial) out.partial = true;
  return out;
}

/**
 * One signature's check over `data`, or over the profile's alternate canonical form of the document; each
 * check charged to `work` before it is made.
 */
function signatureVerifies(md: Metadata, listed: ListedKey, raw: Uint8Array, data: Uint8Array, work: SignatureWork | undefined): boolean {
  work?.charge(data.length, md.source);
  if (md.profile.verify(listed.key, raw, data)) return true;
  const alt = md.alternateSignedBytes();
  if (alt === undefined) return false;
  work?.charge(alt.length, md.source);
  return md.profile.verify(listed.key, raw, alt);
}

/**
 * Signature checks over one document that any number of delegations of it share (TUF 5.6.7: a name
 * delegated at several places, DelegationNames.check): the memo of its first verification, the other
 * (signature, key) pairs checked since, and its signatures by key ID. Each pair is checked once however
 * many delegations name the file (review-12 H2: one full verifyRole per later delegation re-hashed a
 * 16 MB file 800 times).
 */
export interface DocumentChecks {
  readonly memo: SignatureMemo;
  /** The verification's signature work (signature-work.ts): every check not already made is charged. */
  readonly work?: SignatureWork;
  /** Outcomes for pairs the memo does not hold (its one key per signature is another), by "index fingerprint". */
  readonly others: Map<string, boolean>;
  /** Signature index by key ID: a document's signatures have distinct key IDs (SIGNATURE_DUPLICATE at parse). */
  byKeyId?: Map<string, number>;
}

export function newDocumentChecks(memo: SignatureMemo, work?: SignatureWork): DocumentChecks {
  return { memo, others: new Map(), ...(work ? { work } : {}) };
}

/**
 * Whether `md` meets `policy` under `keys`: exactly verifyRole(md, …, policy, keys).verified — the same
 * signatures counted (those by the policy's key IDs that `keys` lists), each public key once, and the same
 * SIGNATURE_ENCODING refusal for the first malformed one in file order — but at the cost of the policy's
 * key IDs, not of the file's signatures, and with each (signature, key) pair checked at most once per
 * document (`checks`). For a file named by many delegations, each with its own keys.
 */
export function meetsPolicy(md: Metadata, policy: RolePolicy, keys: ReadonlyMap<string, ListedKey>, checks: DocumentChecks): boolean {
  const memo = checks.memo;
  if (memo.document !== md) throw new CeremonyError('INTERNAL', `a signature memo made for ${memo.document.source} was given for ${md.source}`);
  const sigs = md.signatures;
  let byKeyId = checks.byKeyId;
  if (!byKeyId) {
    byKeyId = new Map();
    for (let i = 0; i < sigs.length; i++) byKeyId.set(sigs[i]!.keyid, i);
    checks.byKeyId = byKeyId;
  }
  // The signatures verifyRole would check, in its (file) order: by a key ID of the policy that `keys` lists.
  const candidates: number[] = [];
  for (const id of policy.keyids) {
    const i = byKeyId.get(id);
    if (i !== undefined && keys.has(id) && !isUnsignedPlaceholder(md, sigs[i]!)) candidates.push(i);
  }
  candidates.sort((a, b) => a - b);
  const signedFingerprints = new Set<string>();
  for (let n = 0; n < candidates.length; n++) {
    const i = candidates[n]!;
    if (n > 0 && candidates[n - 1] === i) continue;
    const sig = sigs[i]!;
    const listed = keys.get(sig.keyid)!;
    const raw = md.profile.decodeSignature(sig, listed.key, `${md.source} $.signatures[${i}]`);
    const fingerprint = listed.key.fingerprint;
    let ok = memo.fingerprints[i] === fingerprint ? memo.outcomes[i] : undefined;
    const other = `${i} ${fingerprint}`;
    ok ??= checks.others.get(other);
    if (ok === undefined) {
      ok = signatureVerifies(md, listed, raw, md.signedBytes(), checks.work);
      if (memo.fingerprints[i] === undefined) {
        memo.fingerprints[i] = fingerprint;
        memo.outcomes[i] = ok;
        memo.charged[i] = true;
      } else checks.others.set(other, ok);
    }
    if (ok) signedFingerprints.add(fingerprint);
  }
  return signedFingerprints.size >= policy.threshold;
}

/** Key IDs a refusal message names at most (describeResult). */
const MISSING_SHOWN = 8;

export function describeResult(r: VerificationResult): string {
  // Every key of the role is in `signed` or `missing`, once (the parse refuses a key listed twice, under one
  // ID or two): a threshold above that count is a role no signature can ever verify, which a count such
  // as "1 of 2 required signatures" would hide (TUF allows such a delegation; clients fail on its file).
  const keys = r.signed.length + r.missing.length;
  if (!r.verified && r.threshold > keys) {
    return `${r.role} can never be verified: its delegating role gives it a threshold of ${r.threshold} but lists ${keys} key${keys === 1 ? '' : 's'} (${r.signed.length} signed)`;
  }
  // A message, not a report: the first few key IDs (a hostile role of 20,000 keys made a 200 KB first line
  // of stderr and of the app's refusal; review-13b L1); the result itself keeps them all.
  const shown = r.missing.slice(0, MISSING_SHOWN).map((id) => id.slice(0, 8));
  const more = r.missing.length > MISSING_SHOWN ? ` and ${r.missing.length - MISSING_SHOWN} more` : '';
  const waiting = r.missing.length ? `; waiting for ${shown.join(', ')}${more}` : '';
  const bad = r.invalid.length ? `; ${r.invalid.length} signature(s) did not verify` : '';
  return `${r.signed.length} of ${r.threshold} required signatures for ${r.role}${waiting}${bad}`;
}

/** The thin throwing wrapper: refuse when the result falls short. */
export function requireVerified(r: VerificationResult, source: string, code: ErrorCode = 'THRESHOLD_NOT_MET'): VerificationResult {
  if (!r.verified) throw new CeremonyError(code, `${source}: ${describeResult(r)}`, { path: `${source} $.signatures` });
  return r;
}
