/** Display helpers: short forms people can read aloud and compare, and plain dates. */
import type { Inspection, KeyAlgorithmName, PinStatusName } from '../../../electron/shared/api-types.js';
import { stripPathSuffix } from '../../../src/message-path.js';

/** The core's stable error codes, as the IPC contract carries them (src/errors.ts ERROR_CODES). */
type ErrorCode = Inspection['problems'][number]['code'];

/** First 8 hex digits of a key ID: what custodians compare at a glance (the full ID is in the tooltip). */
export function shortKeyId(keyId: string): string {
  return keyId.length > 10 ? keyId.slice(0, 8) : keyId;
}

/**
 * The short form people compare: 32 hex digits (128 bits, the core's SHORT_DIGEST_BYTES in
 * src/crypto/digest-words.ts) in groups of four: `ab12 cd34 ef56 7890 …`.
 */
export const SHORT_HEX_DIGITS = 32;

/** First SHORT_HEX_DIGITS hex digits of a fingerprint in groups of four, for reading aloud. */
export function shortFingerprint(fp: string): string {
  return (fp.slice(0, SHORT_HEX_DIGITS).match(/.{1,4}/g) ?? []).join(' ');
}

/** PGP words in groups of four, `·` between groups (as the CLI prints them: src/crypto/digest-words.ts groupWords). */
export function groupWords(words: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < words.length; i += 4) out.push(words.slice(i, i + 4).join(' '));
  return out.join(' · ');
}

/** All of it in groups of four, for the tooltip. */
export function groupedFingerprint(fp: string): string {
  return (fp.match(/.{1,4}/g) ?? []).join(' ');
}

/** `2031-03-01T12:00:00Z` → `2031-03-01 12:00 UTC`; anything unparseable is shown as given. */
export function formatDate(text: string): string {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return text;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

const DAY = 24 * 3600 * 1000;

/** `in 4 years`, `in 12 days`, `3 days ago`: coarse on purpose. */
export function relativeTo(text: string, now: Date): string | undefined {
  const t = new Date(text).getTime();
  if (Number.isNaN(t)) return undefined;
  const diff = t - now.getTime();
  const days = Math.round(Math.abs(diff) / DAY);
  let span: string;
  if (days >= 730) span = `${Math.floor(days / 365)} years`;
  else if (days >= 60) span = `${Math.floor(days / 30)} months`;
  else if (days >= 2) span = `${days} days`;
  else {
    const hours = Math.max(1, Math.round(Math.abs(diff) / 3_600_000));
    span = hours === 1 ? '1 hour' : `${hours} hours`;
  }
  return diff >= 0 ? `in ${span}` : `${span} ago`;
}

/** Expires within 30 days (and not yet expired): worth a warning at the ceremony. */
export function expiresSoon(text: string, now: Date): boolean {
  const t = new Date(text).getTime();
  return !Number.isNaN(t) && t > now.getTime() && t - now.getTime() < 30 * DAY;
}

/**
 * One plain sentence per refusal code, for the person in the room. The core's message says what was
 * wrong with *this* input; this says what the code means in general. Codes not listed show the
 * message alone.
 */
const EXPLAIN: Partial<Record<ErrorCode | 'NOT_CONNECTED', string>> = {
  INPUT_TOO_LARGE: 'A file is larger than tuf-ceremony accepts for its role.',
  JSON_MALFORMED: 'The file is not valid JSON text, so it cannot be TUF or Notary metadata.',
  JSON_DUPLICATE_KEY: 'A JSON object names the same field twice; signed metadata must be unambiguous.',
  JSON_NUMBER_INVALID: 'A number is not a whole, non-negative number as canonical JSON requires.',
  JSON_TOO_DEEP: 'The JSON is nested deeper than any real metadata.',
  JSON_TOO_MANY_VALUES: 'The JSON holds far more values than any real metadata of its size, so it was not read further: it was made to exhaust memory, or is damaged.',
  SCHEMA_INVALID: 'A field is missing, of the wrong type or out of range.',
  FIELD_NAME_AMBIGUOUS: 'A field name in the metadata is spelled so that notary and other Go clients read it as another field (a capital letter, or a look-alike such as a long s), while this tool does not; such a file means one thing on screen and another to them, so it was refused.',
  ROLE_TYPE_MISMATCH: 'The file is not the role its name says it is.',
  SPEC_VERSION_UNSUPPORTED: 'The metadata uses a TUF specification version this tool does not implement.',
  PROFILE_UNKNOWN: 'The metadata is neither Notary (Docker Content Trust) nor TUF 1.0.',
  DATE_INVALID: 'A date is not in the required UTC format.',
  KEY_TYPE_UNSUPPORTED: 'A key type or signature scheme is unknown, or they do not match.',
  KEY_INVALID: 'A public key cannot be decoded.',
  KEY_ID_MISMATCH: 'A key ID is not the one computed from its key.',
  KEY_DUPLICATE_IN_ROLE: 'A role lists the same key twice, which would let one key count twice.',
  ROLE_KEY_MISSING: 'A role names a key that the metadata does not list.',
  THRESHOLD_INVALID: 'A threshold is zero or larger than the number of keys.',
  SIGNATURE_ENCODING: 'A signature is not validly encoded for its key type.',
  SIGNATURE_DUPLICATE: 'The same key signed twice; it counts once.',
  SIGNATURE_WORK_EXCEEDED: 'Checking this input’s signatures would take far more work than any real repository needs, so it was stopped there. It was made to slow the checking down, or is damaged: ask its sender for the repository again.',
  SIGNATURE_METHOD_MISMATCH: "A signature's method does not fit its key.",
  ATTESTATION_CHAIN_BROKEN: 'The attestation certificates do not chain link by link to a YubiKey attestation root: one was not signed by the next, or is outside its validity.',
  ATTESTATION_UNKNOWN_ROOT: 'The attestation ends at a root that is not one of Yubico’s: nothing shows the key was made on a genuine YubiKey.',
  ATTESTATION_KEY_MISMATCH: 'The attestation is for another public key than the one root.json lists under this key ID.',
  ATTESTATION_POLICY_FORBIDDEN: 'The key’s PIN or touch policy is one the plan does not allow.',
  ATTESTATION_MISSING: 'A key that must be attested comes without an attestation.',
  ATTESTATION_MALFORMED: 'An attestation certificate cannot be read as one.',
  PIV_SLOT_DECLINED: 'The custodian did not confirm the YubiKey slot proposed for the key. Nothing was written to the card: confirm the slot when the ceremony resumes, or name a slot in the site bindings.',
  PIV_NO_FREE_SLOT: 'The YubiKey has no empty retired slot for the key. Nothing was written: name a slot in the site bindings.',
  MANAGEMENT_KEY_INCORRECT: 'The YubiKey did not accept the PIV management key. Nothing was written to it.',
  TOUCH_TIMEOUT: 'The YubiKey was not touched while it blinked, so nothing was signed. Sign again and touch the key while it blinks.',
  THRESHOLD_NOT_MET: 'Too few of the required keys produced a valid signature over these exact bytes. If the file was changed after signing, this is what you see.',
  CERTIFICATE_INVALID: 'A Notary root certificate is unacceptable (a CA, expired, SHA-1, or for another repository).',
  ROOT_VERSION_SKIPPED: 'A root version is missing from the chain: each new root must follow the previous one.',
  ROOT_NOT_SIGNED_BY_PREVIOUS: 'A new root is not signed by enough of the previous root keys.',
  ROOT_NOT_SIGNED_BY_SELF: 'A new root is not signed by enough of its own keys.',
  ROOT_CHAIN_BROKEN: 'The chain of roots cannot be followed from the trusted root.',
  TRUSTED_ROOT_MISMATCH: 'The pinned root does not match the roots in what you opened.',
  ROLLBACK: 'A version is older than one already trusted.',
  EXPIRED: 'Metadata has expired by this computer’s clock.',
  VERSION_MISMATCH: 'A version differs from the one the referring metadata records.',
  LENGTH_MISMATCH: 'A file’s length differs from the one the referring metadata records.',
  HASH_MISMATCH: 'A file’s hash differs from the one the referring metadata records.',
  META_MISSING: 'Metadata needed to check this is not included.',
  SNAPSHOT_META_REMOVED: 'A new snapshot drops a role the trusted one listed.',
  DELEGATION_INVALID: 'A delegation is malformed or its role cannot be reached.',
  DELEGATION_UNSUPPORTED: 'The repository delegates to hashed bins named by a formula (succinct roles, TAP 15), which this tool does not support; nothing was trusted.',
  DELEGATION_AMBIGUOUS: 'One role is delegated twice with different keys, so which keys its file must be signed by would depend on the file a client looks up; nothing was trusted.',
  ROLE_FILE_NAME_COLLISION: 'Two roles of the bundle would be one file on Windows or macOS (names differing only in case or accents); nothing was installed.',
  REPOSITORY_FOLDER_COLLISION: 'The trust directory already holds a repository whose folder would be this one on Windows or macOS (names differing only in case or accents); nothing was installed.',
  ROLE_FILE_NAME_UNPORTABLE: 'A role of the bundle has a name that cannot be a file on some systems (for example CON or a name with ":"); nothing was installed.',
  UNEXPECTED_FILE: 'The directory holds a file that is not part of a repository; nothing unverified may ride along.',
  IPC_INVALID: 'The request to the core was malformed (a bug in the screen).',
  // Tokens (PKCS#11): what a custodian can do about it.
  TOKEN_MODULE_NOT_FOUND: 'The driver (PKCS#11 library) for this kind of token is not installed on this computer, or the path is wrong. Install it, or choose another module.',
  TOKEN_MODULE_INVALID: 'That file is not a PKCS#11 driver for this computer, or the driver failed to start.',
  MODULE_CHOICE_UNKNOWN: 'The app no longer knows the module file chosen earlier. Choose the module file again.',
  TOKEN_NOT_PRESENT: 'The expected token is not plugged in, or a different token is. Compare the label and serial with the ones printed on the token.',
  TOKEN_REMOVED: 'The token was unplugged, or lost its connection, in the middle of the step. Plug it in again and repeat the step: it did not complete.',
  TOKEN_LOGIN_REQUIRED: 'The token needs its PIN for this step.',
  TOKEN_ERROR: 'The token or its driver reported an error. Plug the token in again and retry; if it happens again, try another port or reader.',
  PIN_INCORRECT: 'Wrong PIN: the token did not accept it. Check the PIN before trying again — every wrong try counts towards locking the token.',
  PIN_LOCKED: 'The PIN is locked after too many wrong tries. It must be unblocked with the PUK or the security officer PIN before this token can be used again.',
  MECHANISM_UNSUPPORTED: 'This token cannot make or use that type of key. Choose one of the key types it lists.',
  KEY_LABEL_EXISTS: 'A key with this label is already on the token. Labels are never reused: choose another label.',
  KEY_ID_EXISTS: 'A key with this ID (on a YubiKey: this PIV slot) is already on the token.',
  TOKEN_KEY_NOT_FOUND: 'The token does not hold the expected key: it is probably not the expected token.',
  TOKEN_KEY_EXTRACTABLE: 'The token would let the private key be read out of it, so the key was refused and destroyed.',
  TOKEN_SIGNATURE_INVALID: 'The token returned a signature that does not match its own public key. Nothing it signed was used.',
  TOKEN_LOGIN_SHARED: 'This token’s driver shares one login across all its tokens, so the PIN could not be checked for this token alone. Use one token of this driver at a time.',
  TOKEN_TEMPLATE_REFUSED: 'The token refused to make the key with the attributes a root key needs (the message names the one it objects to). Nothing was kept on the token: use another token or key type.',
  TOKEN_KEY_ATTRIBUTES_UNSAFE: 'The key the token made could be read out or used for more than signing, so it was destroyed at once. Nothing was kept: use another token.',
  TOKEN_SOFTWARE: 'This is a software token (a file on this computer, not a hardware device), and the plan does not allow software tokens for this ceremony. Plug in the hardware token the plan expects.',
  TOKEN_AMBIGUOUS: 'More than one plugged-in token matches this serial and label. Unplug the tokens not in use, or tell them apart by label.',
  KEY_FILE_PRIVATE: 'The file meant to hold a public key holds a private key. It was not read; treat that key as exposed and tell the administrator.',
  // Root ceremony: plans, bindings, the machine's state (what the administrator can do about it).
  USAGE: 'The ceremony cannot do that now; the message says what to do first.',
  FILE_NOT_FOUND: 'A file the ceremony needs is not where it should be.',
  OUTPUT_EXISTS: 'The output folder already holds files a ceremony would write. Outputs are never overwritten: choose a new, empty folder (or the folder of the stopped ceremony, to resume it).',
  PLAN_INVALID: 'The plan file is not a valid ceremony plan; the path names the field. Nothing was done: correct the plan and have it reviewed again.',
  REPOSITORY_NAME_UNSAFE: 'A repository name cannot be made into a safe folder name (or a folder is not one this tool wrote). Nothing was done: correct the name in the plan.',
  INVENTORY_INVALID: 'The key inventory file is damaged or not one this tool writes; the path names the field.',
  INVENTORY_TOO_LARGE: 'Recording this in the key inventory would make it larger than an inventory can be and still be read, so the inventory was not changed. Keep this site’s repositories in more than one inventory, or remove the repositories it no longer trusts.',
  INVENTORY_CHANGED: 'The key inventory was changed by something else since it was read, so it was not overwritten. Install again to record this change in it.',
  INVENTORY_LOCKED: 'Another program was writing the key inventory and did not finish in time, so the inventory was not changed. Install again to record this change in it.',
  INVENTORY_LOCK_STALE: 'The key inventory’s lock was taken on another computer, or cannot be read, and this computer cannot tell whether the program that took it still runs, so the inventory was not changed. When no tuf-ceremony window or command is running there, delete the lock file the message names, then install again.',
  PLAN_INPUT_MISMATCH: 'A key file the plan names is missing, or is not the file that was reviewed (its SHA-256 differs). Open the reviewed file with the plan.',
  BINDINGS_INVALID: 'The site bindings file is not valid, or contradicts the plan (the path names the field).',
  BINDINGS_PLAN_MISMATCH: 'The site bindings were written for another plan: their plan hash is not this plan’s. Use the bindings made for this exact plan.',
  CEREMONY_STATE_INVALID: 'The ceremony’s state file in the output folder is damaged or contradicts the files next to it.',
  CEREMONY_STATE_MISMATCH: 'The output folder holds a ceremony of another plan or kind. Choose the folder of this ceremony, or a new one.',
  CEREMONY_CANNOT_RESUME: 'The stopped ceremony cannot continue from where it stopped; the message says why and what to do.',
  CEREMONY_OUTPUT_CHANGED: 'A file the ceremony wrote earlier has changed or gone since. Nothing more was written.',
  CEREMONY_COMPLETE: 'This ceremony is already complete; nothing was done.',
  // Transcript (hash chain and seal): what the auditor learns.
  TRANSCRIPT_MALFORMED: 'A line of the transcript is not a record this tool wrote (or was edited); the line and field are named.',
  TRANSCRIPT_CHAIN_BROKEN: 'A record does not match its hash, or does not follow the one before it: the file was changed after it was written.',
  TRANSCRIPT_SEQUENCE: 'Steps are missing, repeated or out of order: the file was cut or reordered.',
  TRANSCRIPT_NOT_SEALED: 'The transcript has no seal: the ceremony was interrupted, or the seal was removed. Nothing vouches that it is complete.',
  TRANSCRIPT_SEAL_INVALID: 'The seal’s signature, key or totals do not match the transcript: it was changed after it was sealed.',
  TRANSCRIPT_SEAL_KEY_UNEXPECTED: 'The transcript is sealed by a key other than the one expected.',
  TRANSCRIPT_TRUNCATED: 'The transcript ends in the middle of a line, is empty, or has fewer entries than the ceremony recorded: it was cut short.',
  TRANSCRIPT_AFTER_SEAL: 'Records were added after the seal: they are not covered by it.',
  // --- import (#6)
  BUNDLE_NOT_A_BUNDLE: 'The file is not a tuf-ceremony bundle.',
  BUNDLE_KIND_UNEXPECTED: 'The bundle is of another kind (e.g. a signing request): only a trust bundle can be imported.',
  BUNDLE_MANIFEST_MISMATCH: 'A file inside the bundle does not match the length or hash its manifest states: the bundle was altered or damaged.',
  BUNDLE_TRUNCATED: 'The bundle ends early: it was not copied completely.',
  BUNDLE_TRAILING_BYTES: 'The bundle has extra bytes after its last file: it was altered.',
  BUNDLE_MALFORMED: 'The bundle’s manifest is not in the exact form tuf-ceremony writes.',
  BUNDLE_TOO_LARGE: 'The bundle is larger than tuf-ceremony accepts.',
  BUNDLE_MANIFEST_TOO_LARGE: 'The bundle’s manifest is longer than any tuf-ceremony writes: the file is not a bundle, or was altered.',
  BUNDLE_VERSION_UNSUPPORTED: 'The bundle was written in a format this version of tuf-ceremony cannot read. Ask its sender for a bundle from a matching version.',
  BUNDLE_KIND_UNKNOWN: 'The bundle says it is of a kind tuf-ceremony does not know: it was altered, or written by a newer version.',
  BUNDLE_FILE_NAME_INVALID: 'A file in the bundle has a name that is unsafe to write (it could escape its folder) or is not a metadata file. Nothing was installed.',
  BUNDLE_FILE_DUPLICATE: 'The bundle names one file twice, or lists its files out of order: it was altered. Nothing was installed.',
  BUNDLE_WRITE_VERIFY_FAILED: 'The file just written reads back differently from what was written: the disk or USB stick is faulty. Do not use that copy; write it again to other media.',
  BUNDLE_CONTENT_INVALID: 'A file in the bundle is not what the bundle says it holds (for example a request for another repository, or two repositories whose folders would overlap). Nothing was installed: ask its sender for the bundle again.',
  FILE_CHANGED: 'A file changed while it was being read, so nothing of it was used. Make sure nothing else writes to it, then open it again.',
  ROOT_EXPIRED: 'The newest root has expired. Refreshing the other roles cannot fix that: the root must be renewed by its keys first.',
  IMPORT_PIN_NOT_FOUND: 'No root with the pinned fingerprint is in the bundle or already installed.',
  IMPORT_REPOSITORY_MISMATCH: 'The bundle is for another repository or kind of trust directory than the one chosen.',
  IMPORT_LOCKED: 'Another import into this trust directory is running. Wait for it to finish, then import again.',
  IMPORT_LOCK_STALE: 'An earlier import was interrupted and left its lock file. Remove the stale lock (below), then install again: the install also repairs what the interrupted one left.',
  IMPORT_LOCK_NOT_STALE: 'The lock was not removed: the import that holds it may still be running (or it was taken on another computer). Wait for it, or check that computer.',
  TRUST_DIR_INVALID: 'What is installed in the trust directory cannot be read, so it cannot be compared with the bundle.',
  IMPORT_PIN_BEHIND_INSTALLED: 'The pinned root is older than the root already installed, and the bundle’s chain from it does not lead to the installed root: it may be a fork signed by keys that were removed. Nothing was installed. Pin the installed root, or clear the pin.',
  IMPORT_PIN_CONFLICTS_INSTALLED: 'The pinned root is not the root installed in this trust directory, nor one it leads to. Nothing was installed. Check the pinned file or fingerprint.',
  TRUST_DIR_NAME_TAKEN: 'A name the import uses beside the trust directory is taken by something tuf-ceremony did not create (the message names it). Nothing was touched: move it away, then install again.',
  NOT_A_REGULAR_FILE: 'A file the import needs is not an ordinary file (a pipe, device or socket put there by something else); the message names it. Nothing was read or changed.',
  IMPORT_INSTALLED_CLEANUP_FAILED: 'The new trust directory IS installed, but tidying up after it failed (the message names the cause and what was left beside it). Fix the cause; the next install removes what was left.',
  DISK_FULL: 'The disk of the trust directory is full. Nothing was installed: free some space, then install again.',
  READ_ONLY: 'The trust directory is on a read-only disk or mount. Nothing was installed: choose a writable trust directory.',
  PERMISSION_DENIED: 'This user may not write (or read) the trust directory, or it is locked against changes. Nothing was installed: check its permissions.',
  QR_NOT_UR: 'The camera sees a QR code that is not a tuf-ceremony frame.',
  QR_TYPE_UNEXPECTED: 'The camera sees animated-QR frames of another kind than a tuf-ceremony bundle.',
  QR_FRAME_INVALID: 'A QR frame is malformed.',
  QR_FRAME_CHECKSUM: 'A QR frame was misread or altered (its checksum does not match).',
  QR_FRAME_TOO_LARGE: 'A QR frame holds more than a QR code can.',
  QR_MESSAGE_TOO_LARGE: 'The frames announce a bundle larger than tuf-ceremony accepts.',
  QR_FOREIGN_FRAME: 'These frames belong to a different bundle than the one being read. Show only one bundle to the camera, or start again.',
  QR_MESSAGE_CHECKSUM: 'The reassembled bundle does not match the frames’ checksum.',
  QR_MESSAGE_NOT_BUNDLE: 'The frames read fit together but do not make a tuf-ceremony bundle: frames of two bundles were mixed, or someone showed forged frames. Reading starts again: show only the sender’s code, and compare the hash words with the sender’s.',
  QR_INCOMPLETE: 'Not enough frames have been read yet to rebuild the bundle; keep the camera on the moving code (the message says how many more are needed).',
  QR_IMAGE_UNREADABLE: 'The image holds no QR code that can be read, or is not an image.',
  QR_IMAGE_TOO_LARGE: 'The image is larger than any QR frame needs to be, so it was not decoded.',
  QR_SCANNER_CLOSED: 'The camera scanner is closed, so the frame was not taken: open “Read from the webcam” on the Import screen to read a bundle.',
  QR_TOO_MANY_PARTS: 'More different frames arrived than a bundle of this size can have: the code shown is not one tuf-ceremony wrote. Start again with the sender’s code only.',
  // Rotation and co-signing (#5): what the administrator or co-signer can do about it.
  ROTATION_CHANGE_INVALID: 'The change names a key the current root does not list, lists a key twice, or changes nothing. Check the keys chosen.',
  ROTATION_UNFOLLOWABLE: 'Clients at the current root version could not follow this rotation: too few old keys could still sign, or the new threshold can never be met. Replace fewer lost keys at once, or use the backup root key.',
  ROTATION_REQUEST_TAMPERED: 'The signing request was changed after it was made, or is not the one whose hash words were confirmed. Do not sign it: ask the administrator for the request again.',
  ROTATION_RESPONSE_MISMATCH: 'This response answers another signing request, or signed other bytes: it belongs to another rotation.',
  NAME_IMITATES_KEY_TEXT: 'A name could be read as a key’s identification (it says “fingerprint”, “key” and hex digits, a run of hex, or hash words). Names are labels: choose one without that.',
  NAME_DUPLICATE: 'Two different keys have the same name. Give each key its own name, so that “who signs” means one key.',
  ROTATION_SIGNER_UNKNOWN: 'The key has no part in this request (neither the old nor the new root, nor the targets role it changes): a stranger’s signature counts for nothing here.',
  ROTATION_SIGNATURE_DUPLICATE: 'This key has already signed: a response counts once, however often it is added.',
  ROTATION_SIGNATURE_INVALID: 'A signature in this response does not verify over the request’s bytes: it was damaged or made over something else.',
  // Notary root certificate renewal (#14): what the custodian or the administrator can do about it.
  CERTIFICATE_KEY_MISMATCH: 'The renewed certificate is for another key than the custodian’s current one: a renewal keeps the key. Nothing was written.',
  CERTIFICATE_VALIDITY_MISMATCH: 'The renewed certificate is not valid for exactly the dates the request asks for. Nothing was written.',
  CERTIFICATE_SIGNATURE_INVALID: 'The renewed certificate is not signed by the key it certifies: the token did not make it, or it was damaged. Nothing was written.',
  CERTIFICATE_SHARE_CARDS_UNSUPPORTED: 'A key held on share cards cannot issue its renewed certificate in this app. The command-line tool’s sign step takes share cards: do it on an offline machine with the administrator. No card was asked for.',
  CERTIFICATES_INCOMPLETE: 'Not every certificate the request renews has come back yet: the new root can be built once all are merged.',
  // --- shamir: share cards (what the custodian can do about it).
  SHARE_FORMAT: 'The card is not laid out as a share card: a line is missing, repeated or of the wrong length. Compare the named line with the printed card.',
  SHARE_CHARACTER: 'A character is not one a share card uses (0–9 and A–Z without I, L, O, U). The message names the line, group and character: compare it with the printed card.',
  SHARE_CHECKSUM: 'A group of the share data does not match its check character: a typing mistake in the named group. Compare that group with the printed card.',
  SHARE_CARD_CHECKSUM: 'The card check does not match: a header line (split, share index, threshold, fingerprint, label) or the card check itself was mistyped — or the card was edited.',
  SHARE_VERSION_UNSUPPORTED: 'The card is of a format this version of tuf-ceremony does not read.',
  SHARE_INVALID: 'The card holds values that cannot be (a threshold above the number of cards, an index that does not match its share data).',
  SHARE_MIXED_SPLITS: 'The cards come from different splits (different keys, or different backups of one key). Use cards of one split only.',
  SHARE_INCONSISTENT: 'Cards of one split disagree on a header field: one of them was mistyped or edited.',
  SHARE_DUPLICATE: 'The same card (share index) was entered twice; each card counts once. Enter another custodian’s card.',
  SHARE_TOO_FEW: 'Not enough cards yet to rebuild the key; the message says how many more are needed.',
  SHARE_KEY_MISMATCH: 'The rebuilt key is not the key the cards record: a card is forged or corrupted, or the cards are not shares of one key. Nothing was signed.',
  SHARE_SPLIT_MISMATCH: 'The card is not from the split the ceremony record names.',
  SHARE_FINGERPRINT_MISMATCH: 'The card is a share of another key than the one expected.',
  SHARE_SET_UNKNOWN: 'The cards entered earlier are no longer held: they were used, cleared, or left too long and wiped. Enter the cards again.',
  INTERNAL: 'This is a bug. Please report it with the transcript.',
  NOT_CONNECTED: 'The screen runs without the app’s core.',
};

export function explainCode(code: string): string | undefined {
  return (EXPLAIN as Record<string, string | undefined>)[code];
}

/**
 * Issue #16: the screens speak in sentences, not in the CLI's or the parser's terms. The core's messages
 * are shared with the CLI, so they may name a flag (`--root FILE`) or a JSON path (`$.signed.version`);
 * on a screen the flag becomes the thing it stands for and the path becomes a field name (the exact path
 * is still shown on the "Where" line below).
 */
export function plainMessage(message: string, path?: string): string {
  return stripPathSuffix(message, path)
    // A core sentence may quote an inner refusal with its own ` (at PATH)`, a path into a file other than
    // the one opened (`attestations.json.attestations["…"].device`): the words stand without it.
    .replace(/ \(at [^()\s]+\)/g, '')
    .replace(/`?--([a-z][a-z0-9-]*)(?:[ =](?:[A-Z][A-Z_]*|<[a-z-]+>))?`?/g, (_m, flag: string) => `the “${flag.replace(/-/g, ' ')}” setting`)
    .replace(/\$((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\[["'][^"'\]]*["']\])*)/g, (_m, rest: string) => {
      const field = rest.replace(/^\./, '').replace(/\[["']([^"'\]]*)["']\]/g, '.$1');
      return field ? `the field “${field}”` : 'the file';
    });
}

/** True when shown text uses a CLI flag or a JSON path as words (what plainMessage removes). */
export function hasCliOrPathText(text: string): boolean {
  return /(^|[\s(“"'`])--[a-z]/.test(text) || /\$[.[]/.test(text) || /\(at [^()\s]+\)/.test(text);
}

/** For people: `ECDSA P-256` (src/signers/signing-key.ts algorithmTitle). */
export function algorithmTitle(algorithm: KeyAlgorithmName): string {
  switch (algorithm) {
    case 'ecdsa-p256':
      return 'ECDSA P-256';
    case 'ecdsa-p384':
      return 'ECDSA P-384';
    case 'ed25519':
      return 'Ed25519';
    case 'rsa-pss-sha256':
      return 'RSA-PSS 3072';
  }
}

/** What the token's flags say about its PIN, in words (never by colour alone). */
export function pinStatusText(status: PinStatusName): string {
  switch (status) {
    case 'ok':
      return 'PIN set';
    case 'count-low':
      return 'PIN: few tries left';
    case 'final-try':
      return 'PIN: ONE TRY LEFT';
    case 'locked':
      return 'PIN LOCKED';
    case 'to-be-changed':
      return 'PIN must be changed first';
    case 'not-initialized':
      return 'No PIN set';
  }
}

/** Witness names as typed in a "one name per line" field: trimmed, empty lines dropped. */
export function witnessNames(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
