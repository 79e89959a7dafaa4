/**
 * The field names Go clients read a key object by, for json/go-fold.ts: go-tuf data.PublicKey (keytype,
 * scheme, keyid_hash_algorithms, keyval) and notary data.TUFKey (keytype, keyval); its `keyval`: go-tuf's
 * key verifiers read `public`, notary's data.KeyPair has `public` and `private`. One set for both profiles.
 * A key whose object carries `"\u212Aeytype": "rsa"` (U+212A KELVIN SIGN) is read as an RSA key by Go
 * (review 15a F1) and as an ECDSA key with an unknown field here: refused instead.
 */
import { child, isObject } from '../json/fields.js';
import { goFieldSet, refuseGoFoldedKeys } from '../json/go-fold.js';
import type { JsonObject } from '../json/types.js';

const KEY_GO = goFieldSet(['keytype', 'scheme', 'keyid_hash_algorithms', 'keyval']);
const KEYVAL_GO = goFieldSet(['public', 'private']);

/** FIELD_NAME_AMBIGUOUS when the key object or its keyval has a key Go reads as one of their fields. */
export function refuseFoldedKeyFields(json: JsonObject, path: string): void {
  refuseGoFoldedKeys(json, KEY_GO, path);
  const keyval = json.keyval;
  if (isObject(keyval)) refuseGoFoldedKeys(keyval, KEYVAL_GO, () => child(path, 'keyval'));
}
