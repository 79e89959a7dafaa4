/**
 * What the signature pool (signature-pool.ts) and its worker threads (signature-worker.ts) share: one batch
 * of checks laid out in shared memory, and the loop in which every thread, the pool's own included, claims
 * the next chunk of checks until none is left (work stealing: a thread that starts late or runs slow takes
 * fewer, and nobody waits on a fixed share).
 */
import type { KeyObject } from 'node:crypto';
import type { VerifyScheme } from '../crypto/public-key.js';

/** Int32 slots of `BatchMessage.control`. */
export const NEXT_CHUNK = 0;
export const CHUNKS_DONE = 1;
export const CONTROL_SLOTS = 2;

/** Int32s per check in `BatchMessage.table`: key index, data index, signature offset, signature length. */
export const CHECK_FIELDS = 4;

export interface BatchMessage {
  control: Int32Array;
  /** One byte per check: 0 not checked (yet), 1 verified, 2 did not verify. */
  outcomes: Uint8Array;
  /** Checks (CHECK_FIELDS each), then each data's offset and length in `bytes`. */
  table: Int32Array;
  bytes: Uint8Array;
  checks: number;
  /**
   * Per key: the profile's decoded key (a KeyObject crosses threads as a handle to the same key, not
   * decoded again) and how it verifies.
   */
  keys: KeyObject[];
  schemes: VerifyScheme[];
  chunkSize: number;
}

/**
 * Claim chunks of `batch` and check them with `verify(check index)` until every chunk is claimed; each
 * finished chunk is counted in CHUNKS_DONE and the count's waiters woken.
 */
export function checkChunks(batch: BatchMessage, verify: (check: number) => boolean): void {
  const { control, outcomes, checks, chunkSize } = batch;
  const chunks = Math.ceil(checks / chunkSize);
  for (let c = Atomics.add(control, NEXT_CHUNK, 1); c < chunks; c = Atomics.add(control, NEXT_CHUNK, 1)) {
    const end = Math.min(checks, (c + 1) * chunkSize);
    for (let i = c * chunkSize; i < end; i++) outcomes[i] = verify(i) ? 1 : 2;
    Atomics.add(control, CHUNKS_DONE, 1);
    Atomics.notify(control, CHUNKS_DONE);
  }
}
