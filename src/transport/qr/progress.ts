/**
 * How far the QR receiver (assembler.ts) has got. Plain data with no code, so the renderer may import this
 * type (electron/shared/api-types.ts ImportQrProgressView) and the same fields cross IPC unchanged.
 */
export interface QrProgress {
  /** Distinct parts (by sequence number) accepted so far. */
  received: number;
  /** Frames read again (same sequence number). */
  duplicates: number;
  /** Rank of the received parts: how many fragments' worth of information is held. */
  rank: number;
  /** Fragments in the bundle (0 before the first frame). */
  needed: number;
  /** Estimate of further distinct parts still needed (0 when complete). */
  estimatedStillNeeded: number;
  complete: boolean;
}
