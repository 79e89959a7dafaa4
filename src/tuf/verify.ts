import { CeremonyError, type ErrorCode } from '../errors.js';
import type { ListedKey } from './keys.js';
import type { Metadata } from './metadata.js';
import type { RolePolicy } from './role.js';

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
}

/**
 * TUF 5.3.4 / 5.4.2 / 5.5.2 / 5.6.2 / 5.6.7: check `md` against the keys and threshold that the
 * delegating role names. Bad crypto counts as "not signed"; bad encodings of a signature by a role key
 * throw SIGNATURE_ENCODING (a well-behaved signer never produces one).
 */
export function verifyRole(md: Metadata, role: string, policy: RolePolicy, keys: ReadonlyMap<string, ListedKey>): VerificationResult {
  const data = md.signedBytes();
  const roleKeyIds = new Set(policy.keyids);
  const signedFingerprints = new Set<string>();
  const signed: string[] = [];
  const invalid: string[] = [];
  const strangers: string[] = [];
  md.signatures.forEach((sig, i) => {
    if (!roleKeyIds.has(sig.keyid)) {
      strangers.push(sig.keyid);
      return;
    }
    const listed = keys.get(sig.keyid);
    if (!listed) {
      strangers.push(sig.keyid);
      return;
    }
    const raw = md.profile.decodeSignature(sig, listed.key, `${md.source} $.signatures[${i}]`);
    const alt = (): Uint8Array | undefined => md.alternateSignedBytes();
    if (!md.profile.verify(listed.key, raw, data) && !(alt() && md.profile.verify(listed.key, raw, alt()!))) {
      invalid.push(sig.keyid);
      return;
    }
    if (signedFingerprints.has(listed.key.fingerprint)) return;
    signedFingerprints.add(listed.key.fingerprint);
    signed.push(sig.keyid);
  });
  const signedSet = new Set(signed);
  const missing = policy.keyids.filter((id) => !signedSet.has(id));
  return { role, threshold: policy.threshold, signed, missing, invalid, strangers, verified: signedFingerprints.size >= policy.threshold };
}

export function describeResult(r: VerificationResult): string {
  const waiting = r.missing.length ? `; waiting for ${r.missing.map((id) => id.slice(0, 8)).join(', ')}` : '';
  const bad = r.invalid.length ? `; ${r.invalid.length} signature(s) did not verify` : '';
  return `${r.signed.length} of ${r.threshold} required signatures for ${r.role}${waiting}${bad}`;
}

/** The thin throwing wrapper: refuse when the result falls short. */
export function requireVerified(r: VerificationResult, source: string, code: ErrorCode = 'THRESHOLD_NOT_MET'): VerificationResult {
  if (!r.verified) throw new CeremonyError(code, `${source}: ${describeResult(r)}`, { path: `${source} $.signatures` });
  return r;
}
