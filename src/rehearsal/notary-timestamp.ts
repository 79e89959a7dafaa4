/**
 * The rehearsal's stand-in for notary-server's timestamp. In a Notary repository the server holds the
 * timestamp key and signs `timestamp.json` on every publish (FIELD-NOTES: Notary 0.7); a client's trust
 * directory — what an air-gapped site installs — holds it beside root, targets and snapshot. When the
 * rehearsal made its own timestamp key (no `--timestamp-key`), it plays that server: it signs a timestamp
 * v1 naming the snapshot the way notary-server writes it (meta `snapshot`: length, sha256 and sha512 in
 * base64; expiry 14 days, Notary's default) with that key, so the simulated site imports a complete
 * repository. With the real server's key (`--timestamp-key`) only the server can sign it.
 */
import { CeremonyError } from '../errors.js';
import { digest } from '../crypto/digest.js';
import { getProfile } from '../profiles/index.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import type { SigningKey } from '../signers/signing-key.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { formatExpires } from '../tuf/dates.js';
import { parseMetadata } from '../tuf/metadata.js';
import { serializeMetadata, signMetadata } from '../tuf/sign.js';

const DAY = 24 * 3600 * 1000;

/** timestamp.json v1 for `snapshot` (file bytes), signed with the timestamp key `root` lists. */
export async function simulatedServerTimestamp(root: Uint8Array, snapshot: Uint8Array, key: SigningKey, now: Date): Promise<Uint8Array> {
  const md = parseMetadata(root, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json', profile: 'notary' });
  const id = md.signed.roles.get('timestamp')!.keyids.find((k) => md.signed.keys.get(k)?.key.fingerprint === key.fingerprint);
  if (!id) throw new CeremonyError('INTERNAL', "the rehearsal's timestamp key is not the one root.json lists");
  const listed = md.signed.keys.get(id)!;
  const p = getProfile('notary');
  const signed = {
    _type: 'Timestamp',
    version: 1,
    expires: formatExpires(new Date(Math.floor(now.getTime() / 1000) * 1000 + 14 * DAY)),
    meta: { snapshot: { hashes: { sha256: p.encodeDigest(digest('sha256', snapshot)), sha512: p.encodeDigest(digest('sha512', snapshot)) }, length: snapshot.length } },
  };
  const envelope = await signMetadata('notary', signed, [metadataSigner(key, { profile: 'notary', json: listed.json, keyId: id, key: listed.key })]);
  return serializeMetadata('notary', envelope);
}
