import { CeremonyError } from '../errors.js';

/**
 * How much signature checking one verification may do, in checks and in bytes hashed.
 *
 * Why a limit at all: a signature check hashes the whole signed document (Ed25519 hashes R ‖ A ‖ M, so
 * nothing can be hashed once and shared), and the number of checks is set by the input, not by its
 * size. A delegated file of 16 MiB named by 400 delegations, each listing its own key under the key ID of
 * one junk signature, is 400 distinct (signature, key) pairs: 6.4 GB hashed, 18 s measured, about an hour
 * at the caps (session 12's review of H2; the memo of verify.ts spares only pairs already checked). The
 * same happens inside one role whose delegator lists thousands of keys, each with a signature in the
 * file. The value budget (caps.ts) bounds memory, not this.
 *
 * Why these figures: a real repository is far below both. The bench's 1,000-version chain with a 30 MB
 * targets file is ~3,000 checks and ~0.1 GB; python-tuf's updater walks at most 32 root rotations; the
 * largest legitimate cost is a 64 MiB targets file signed by a dozen keys (~0.8 GB). The bytes limit
 * keeps the worst case to a few seconds of hashing (Ed25519 at ~350 MB/s here); the checks limit to
 * ~10–20 s of the fastest checks (a chain at the 10,000-version cap signed by up to 20 keys each).
 */
export interface SignatureWorkLimits {
  /** Signature checks (one public-key operation each, an alternate canonical form counted as another). */
  checks: number;
  /** Bytes hashed by those checks in all (each check hashes the signed bytes it is made over). */
  bytes: number;
}

export const DEFAULT_SIGNATURE_WORK: SignatureWorkLimits = { checks: 200_000, bytes: 2 * 1024 ** 3 };

/**
 * The signature work of one verification so far (verifyRepository makes one per call, or is given one to
 * share with the checks around it: inspect's view): every check is charged before it is made, and the first
 * one past a limit is refused with SIGNATURE_WORK_EXCEEDED, at the document it would have been made over. A check answered from a memo of the same verification is not
 * charged again (verify.ts SignatureMemo.charged).
 */
export class SignatureWork {
  checks = 0;
  bytes = 0;

  constructor(readonly limits: SignatureWorkLimits = DEFAULT_SIGNATURE_WORK) {}

  /** One check over `length` bytes of `source`'s signed part, or the refusal that it is one too many. */
  charge(length: number, source: string): void {
    const checks = this.checks + 1;
    const bytes = this.bytes + length;
    if (checks > this.limits.checks || bytes > this.limits.bytes) {
      const over =
        checks > this.limits.checks
          ? `more than ${this.limits.checks.toLocaleString('en-US')} signature checks`
          : `more than ${formatBytes(this.limits.bytes)} hashed by signature checks (this one ${formatBytes(length)})`;
      throw new CeremonyError(
        'SIGNATURE_WORK_EXCEEDED',
        `${source}: verifying this input takes ${over} in all, past what any real repository needs (${this.checks.toLocaleString('en-US')} checks made so far): ` +
          'its roles list more signing keys than real signer sets, or a file is delegated again and again under new keys; refused rather than worked through',
        { path: `${source} $.signatures` },
      );
    }
    this.checks = checks;
    this.bytes = bytes;
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(n % 1024 ** 3 === 0 ? 0 : 2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} bytes`;
}
