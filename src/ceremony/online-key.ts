/**
 * The public key of a role the ceremony does not hold, brought in as a file pinned by SHA-256 in the plan
 * (`{"keyFile", "sha256"}`): for Notary the file notary-server serves (server-key.ts); for TUF an online
 * service's snapshot or timestamp key (Repository Service for TUF, tuf-on-ci, a signer of one's own) —
 * the key JSON as root.json lists it (what `tuf-ceremony tokens export` writes) or a PEM `PUBLIC KEY`.
 * A file holding a private key is refused unread (KEY_FILE_PRIVATE: treat that key as exposed); the bytes
 * must be the ones the plan records (PLAN_INPUT_MISMATCH); the key is decoded as a verifier decodes it.
 */
import type { ProfileName } from '../profiles/profile.js';
import { parsePlanKeyFile } from '../rotation/plan-keys.js';
import { checkPlannedKeyFile } from './publisher-key.js';
import { parseServerKey, SERVER_KEY_MAX_BYTES, type ServerKey } from './server-key.js';

const PEM_PRIVATE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** A PEM private key, or key JSON whose `keyval.private` is set: looked at only to refuse. */
function holdsPrivateKey(bytes: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(bytes);
  return PEM_PRIVATE.test(text) || /"private"\s*:\s*"[^"]/.test(text);
}

export function parseRoleKeyFile(profile: ProfileName, role: 'snapshot' | 'timestamp', bytes: Uint8Array, source: string, expectedSha256: string | undefined, repository: string): ServerKey {
  if (profile === 'notary') return parseServerKey(bytes, source, expectedSha256);
  const sha256 = checkPlannedKeyFile(bytes, source, { what: `online ${role} key`, maxBytes: SERVER_KEY_MAX_BYTES, expectedSha256, privateKey: holdsPrivateKey, privateHint: ' (the service\'s public key: the key JSON as root.json lists it, or a PEM PUBLIC KEY)' });
  const k = parsePlanKeyFile(bytes, { profile, role, repository, source, sha256 });
  return { json: k.json, keyId: k.keyId, key: k.key, sha256 };
}
