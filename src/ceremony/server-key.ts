/**
 * A key notary-server holds, brought in as a file: the JSON it serves at
 * `GET /v2/<GUN>/_trust/tuf/timestamp.key` (and `…/snapshot.key` for a server-managed snapshot), e.g.
 * `{"keytype":"ed25519","keyval":{"public":"…","private":null}}` (FIELD-NOTES). The root made offline must
 * list exactly that key, so the file is read strictly, its bytes must have the SHA-256 the plan recorded,
 * and the key must decode as the Notary profile decodes keys.
 */
import { CeremonyError } from '../errors.js';
import { child } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { PublicKey } from '../profiles/profile.js';
import { checkPlannedKeyFile } from './publisher-key.js';
import { StrictReader } from './read.js';

export const SERVER_KEY_MAX_BYTES = 16 * 1024;

export interface ServerKey {
  /** The key object as root.json lists it: `{"keytype", "keyval": {"private": null, "public"}}`. */
  json: JsonObject;
  keyId: string;
  key: PublicKey;
  sha256: string;
}

const r: StrictReader = new StrictReader('PLAN_INPUT_MISMATCH');

/** Whether notary-server key JSON carries a private part (`"private"` other than null): read leniently, only to refuse. */
function holdsPrivateKey(bytes: Uint8Array): boolean {
  try {
    const v = parseJsonStrict(bytes, { maxBytes: SERVER_KEY_MAX_BYTES, path: '$' });
    const kv = v !== null && typeof v === 'object' && !Array.isArray(v) ? v.keyval : undefined;
    return kv !== null && typeof kv === 'object' && !Array.isArray(kv) && Object.hasOwn(kv, 'private') && kv.private !== null;
  } catch {
    return false;
  }
}

/** Parse a server key file; `source` names it in messages. `expectedSha256` is the plan's record. */
export function parseServerKey(bytes: Uint8Array, source: string, expectedSha256?: string): ServerKey {
  const sha256 = checkPlannedKeyFile(bytes, source, { what: 'server key', maxBytes: SERVER_KEY_MAX_BYTES, expectedSha256, privateKey: holdsPrivateKey, privateHint: ' (GET /v2/<GUN>/_trust/tuf/timestamp.key serves it with "private": null)' });
  let value;
  try {
    value = parseJsonStrict(bytes, { maxBytes: SERVER_KEY_MAX_BYTES, path: `${source} $` });
  } catch (err) {
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} is not a notary-server key file: ${err instanceof Error ? err.message : 'not JSON'}`, { path: source, cause: err });
  }
  const path = `${source} $`;
  const o = r.object(value, path, ['keytype', 'keyval']);
  const keytype = r.oneOf(o.keytype, child(path, 'keytype'), ['ed25519', 'ecdsa'] as const);
  const kv = r.object(o.keyval, child(path, 'keyval'), ['public', 'private']);
  if (kv.private !== null) r.fail(child(child(path, 'keyval'), 'private'), 'a server key file holds the public key only ("private": null)');
  const pub = r.text(kv.public, child(child(path, 'keyval'), 'public'), 4096);
  const json: JsonObject = { keytype, keyval: { private: null, public: pub } };
  const notary = getProfile('notary');
  let key: PublicKey;
  try {
    key = notary.parseKey(json, path);
  } catch (err) {
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} does not hold a usable ${keytype} public key`, { path, cause: err });
  }
  return { json, keyId: notary.keyId(json), key, sha256 };
}
