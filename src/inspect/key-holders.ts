/**
 * Who holds which key, from a ceremony's sealed transcript (issue #16: Inspect showed "—" as every key's
 * holder; TUF metadata names no holders). The transcript is verified first (hash chain and seal,
 * src/audit/verify.ts) — a broken one names nobody — and then read for the entries that made or took in
 * a key, each with the key's fingerprint (SHA-256 of its SPKI, as Inspect's KeyView has it):
 *
 * - `key.generate` by a custodian: the custodian's name (the key is on their token);
 * - `key.generate` by the app, `key.server`, `key.publisher`, `shamir.split`: what the digest's label
 *   says the key is ("targets key (Ed25519)", "online service timestamp key", "publisher CI's targets
 *   key", the Shamir backup's share cards).
 */
import type { VerifiedTranscript } from '../audit/types.js';
import { verifyTranscript } from '../audit/verify.js';

export interface KeyHolder {
  /** The custodian's name, or what the key is when no person holds it. */
  name: string;
  /** A custodian (a person) holds it; false: a machine, a server or share cards. */
  custodian: boolean;
}

export interface KeyHolders {
  /** By fingerprint (hex SHA-256 of the SPKI). */
  byFingerprint: Map<string, KeyHolder>;
  /** By the key ID the metadata lists it under, where the entry names one (a custodian's token key). */
  byKeyId: Map<string, KeyHolder>;
  /** The transcript's seal key ID (undefined when it is not sealed). */
  sealKeyId: string | undefined;
}

const FINGERPRINT_SUFFIX = / fingerprint$/;

/** The holders of the keys a verified transcript records; refuses a transcript that does not verify. */
export function keyHoldersFromTranscript(bytes: Uint8Array): KeyHolders {
  return keyHoldersOf(verifyTranscript(bytes));
}

/**
 * The holders a transcript the caller has verified records. The caller decides what verified means: a
 * sealed transcript names people; an unsealed one is not proven, so callers pass only sealed ones
 * (the Transcript screen's folder listing, src/audit/transcript-list.ts).
 */
export function keyHoldersOf(t: VerifiedTranscript): KeyHolders {
  const byFingerprint = new Map<string, KeyHolder>();
  const byKeyId = new Map<string, KeyHolder>();
  for (const e of t.entries) {
    const digest = e.digests[0];
    if (!digest) continue;
    const what = digest.label.replace(FINGERPRINT_SUFFIX, '');
    if (e.step === 'key.generate') {
      const holder = e.actor.role === 'custodian' ? { name: e.actor.name, custodian: true } : { name: `${what}, made by the ceremony machine`, custodian: false };
      byFingerprint.set(digest.sha256, holder);
      if (e.token?.keyId) byKeyId.set(e.token.keyId, holder);
    } else if (e.step === 'key.server' || e.step === 'key.publisher') {
      byFingerprint.set(digest.sha256, { name: what, custodian: false });
    } else if (e.step === 'shamir.split') {
      byFingerprint.set(digest.sha256, { name: 'Shamir backup: held as share cards', custodian: false });
    }
  }
  return { byFingerprint, byKeyId, sealKeyId: t.seal?.keyid };
}
