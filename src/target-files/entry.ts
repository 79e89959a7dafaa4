/**
 * A target file's entry in targets metadata (TUF 4.5 TARGETS: `length`, `hashes`, optional `custom`;
 * Notary's FileMeta the same with base64 hashes), computed from the file's bytes — never typed in — and
 * how a co-signer's review names one: its size and a short hash.
 */
import { digest } from '../crypto/digest.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName } from '../profiles/profile.js';
import type { TargetFile } from '../tuf/targets.js';

/** Hex digits of SHA-256 a review shows (64 bits: enough to tell two files apart when read aloud). */
export const SHORT_HASH_HEX = 16;

/**
 * The entry for `bytes`: length, SHA-256 and SHA-512 (both, as python-tuf and notary write them), then
 * `keep` — the previous entry's other fields (`custom`, fields this tool does not know) — unless `custom`
 * replaces the custom data.
 */
export function targetEntry(profile: ProfileName, bytes: Uint8Array, keep: JsonObject = {}, custom?: JsonValue): JsonObject {
  const p = getProfile(profile);
  const out: JsonObject = { ...keep };
  out.length = bytes.length;
  out.hashes = { sha256: p.encodeDigest(digest('sha256', bytes)), sha512: p.encodeDigest(digest('sha512', bytes)) };
  if (custom !== undefined) out.custom = custom;
  return out;
}

/** SHA-256 as hex, whatever the profile writes (Notary: base64). */
export function sha256HexOf(file: TargetFile): string | undefined {
  const text = file.hashes.sha256;
  if (text === undefined) return undefined;
  return /^[0-9a-f]{64}$/.test(text) ? text : Buffer.from(text, 'base64').toString('hex');
}

/** `1,234 bytes, sha256 0123456789abcdef…` */
export function describeTargetFile(file: TargetFile): string {
  const sha = sha256HexOf(file);
  const hash = sha ? `sha256 ${sha.slice(0, SHORT_HASH_HEX)}…` : `hashes ${Object.keys(file.hashes).join(', ')}`;
  return `${file.length.toLocaleString('en-US')} bytes, ${hash}`;
}
