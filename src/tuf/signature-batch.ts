/**
 * Signature checks made together, ahead of the walk that counts them (issue #18). A 1,000-version root
 * chain is about 3,000 Ed25519 checks, each independent of the others: a batch may spread them over
 * threads (io/signature-pool.ts), while the walk that applies thresholds stays sequential (TUF 5.3.4) and
 * reads the outcomes from a memo. A batch only ever saves work: a check it did not make, or that failed,
 * is made again by the walk, which alone decides what a failure means (alternate canonical bytes, invalid
 * signatures listed).
 */
import type { Profile, PublicKey } from '../profiles/profile.js';

export interface SignatureCheck {
  readonly profile: Profile;
  readonly key: PublicKey;
  /** The signature as `profile.decodeSignature` decoded it. */
  readonly signature: Uint8Array;
  /** The bytes signed (`md.signedBytes()`). */
  readonly data: Uint8Array;
}

export interface SignatureBatch {
  /**
   * Start `profile.verify(key, signature, data)` for every check, on whatever thread, and return at once;
   * the returned function gives the outcomes once they are all in (the caller's thread may help then). One
   * byte per check: 1 when the signature verified; 0 when it did not, or was not checked. Between the two
   * the caller does other work (parses the next roots) while other threads check.
   */
  submit(checks: readonly SignatureCheck[]): () => Uint8Array;
  /**
   * About this many checks will follow, in batches (a lower bound): a batch that needs time to get ready
   * (threads to start) starts now, while the caller parses what it will check.
   */
  expect?(checks: number): void;
}
