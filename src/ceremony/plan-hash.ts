/**
 * The intent hash: SHA-256 of the plan file's bytes, exactly as reviewed. Shown at the start of a ceremony
 * as grouped hex and as PGP words (src/crypto/digest-words.ts) so the witnesses compare it with the hash
 * printed on the reviewed copy; recorded as the transcript's `planHash`, in the state file and in the site
 * bindings (which name the plan they were written for).
 */
import { sha256Hex } from '../crypto/digest.js';
import { groupHex, shortDigest, groupWords } from '../crypto/digest-words.js';

export interface IntentHash {
  /** 64 lower-case hex digits. */
  sha256: string;
  /** The first 8 bytes, hex: what is read aloud first. */
  short: string;
  /** The first 8 bytes as PGP words. */
  words: string[];
  /** The whole hash in groups of four hex digits, for the printed copy. */
  grouped: string;
}

export function intentHash(planBytes: Uint8Array): IntentHash {
  const sha256 = sha256Hex(planBytes);
  const short = shortDigest(sha256);
  return { sha256, short: short.hex, words: short.words, grouped: groupHex(sha256) };
}

/** Lines for people: what the CLI prints and the app shows before anything is done. */
export function describeIntentHash(h: IntentHash): string[] {
  return [`plan intent hash (SHA-256 of the plan file): ${h.grouped}`, `  first ${h.words.length} bytes as words: ${groupWords(h.words)}`];
}
