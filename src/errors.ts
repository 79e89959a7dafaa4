/**
 * One error type for the whole core. Every refusal carries a stable UPPER_SNAKE code (the CLI prints it
 * as `error[CODE]: message`, the app maps it to a sentence, tests assert on it), a message for people
 * that says what was wrong, and the JSON path where it applies.
 *
 * Messages never contain secrets: no key material, share, or PIN is ever interpolated into one.
 */

import { pathSuffix, stripPathSuffix } from './message-path.js';

/** How a failure maps to the CLI's exit status (PRODUCT.md §3). */
export type ErrorClass = 'refused' | 'usage' | 'token' | 'internal' | 'remote';

/**
 * The registry of codes. Adding a code is an API change (the CLI's stderr and --json are documented);
 * renaming one is a breaking change.
 */
export const ERROR_CODES = {
  // --- input framing (size cap → parse) ---
  INPUT_TOO_LARGE: { cls: 'refused', what: 'an input is larger than its size cap' },
  JSON_MALFORMED: { cls: 'refused', what: 'the bytes are not valid JSON (or not UTF-8)' },
  JSON_DUPLICATE_KEY: { cls: 'refused', what: 'a JSON object names the same key twice' },
  JSON_NUMBER_INVALID: { cls: 'refused', what: 'a number is not a safe non-negative integer as canonical JSON requires' },
  JSON_TOO_DEEP: { cls: 'refused', what: 'JSON nesting deeper than allowed' },
  JSON_TOO_MANY_VALUES: { cls: 'refused', what: 'a JSON document holds more values (objects, arrays, strings, numbers) than its cap: its memory cost is bounded, not only its size' },
  // --- schema (into new objects) ---
  SCHEMA_INVALID: { cls: 'refused', what: 'a field is missing, of the wrong type or out of range' },
  FIELD_NAME_AMBIGUOUS: { cls: 'refused', what: 'a metadata object carries a key that is not exactly one of its field names but that Go clients (notary, go-tuf) read as one: case-insensitively, with U+017F as s and U+212A as k (json/go-fold.ts)' },
  ROLE_TYPE_MISMATCH: { cls: 'refused', what: 'the metadata is not of the role the caller expected' },
  SPEC_VERSION_UNSUPPORTED: { cls: 'refused', what: 'spec_version is not one this tool implements' },
  PROFILE_UNKNOWN: { cls: 'refused', what: 'the metadata matches neither the Notary nor the TUF 1.0 format' },
  DATE_INVALID: { cls: 'refused', what: 'a date is not in the required UTC format' },
  // --- keys and signatures ---
  KEY_TYPE_UNSUPPORTED: { cls: 'refused', what: 'unknown key type or scheme, or a type/scheme pair that does not match' },
  KEY_INVALID: { cls: 'refused', what: 'a public key cannot be decoded' },
  KEY_ID_MISMATCH: { cls: 'refused', what: 'a key ID is not the one the profile computes from the key' },
  KEY_DUPLICATE_IN_ROLE: { cls: 'refused', what: 'a role lists the same public key twice (under one or two IDs)' },
  ROLE_KEY_MISSING: { cls: 'refused', what: 'a role names a key ID that is not in the keys table' },
  THRESHOLD_INVALID: { cls: 'refused', what: 'a threshold is below 1 or above the number of keys' },
  SIGNATURE_ENCODING: { cls: 'refused', what: 'a signature is not validly encoded for its key type' },
  SIGNATURE_DUPLICATE: { cls: 'refused', what: 'the same key signed twice' },
  SIGNATURE_WORK_EXCEEDED: { cls: 'refused', what: 'verifying the input would take more signature checks, or hash more bytes checking signatures, than any real repository needs' },
  SIGNATURE_METHOD_MISMATCH: { cls: 'refused', what: "a signature's method does not fit its key" },
  THRESHOLD_NOT_MET: { cls: 'refused', what: 'fewer valid signatures by distinct keys of the role than its threshold' },
  CERTIFICATE_INVALID: { cls: 'refused', what: 'a Notary root certificate is a CA, expired, not yet valid, SHA-1, or names another repository' },
  CERTIFICATE_KEY_MISMATCH: { cls: 'refused', what: "a renewed Notary root certificate is for another public key than the custodian's current key (a renewal keeps the key)" },
  CERTIFICATE_VALIDITY_MISMATCH: { cls: 'refused', what: 'a renewed Notary root certificate is not valid exactly from and until the dates its certificate request asked for' },
  CERTIFICATES_INCOMPLETE: { cls: 'refused', what: 'a certificate renewal cannot build the new root yet: a certificate the request renews has not come back' },
  CERTIFICATE_SIGNATURE_INVALID: { cls: 'refused', what: 'a renewed Notary root certificate is not signed by the key it certifies' },
  CERTIFICATE_SHARE_CARDS_UNSUPPORTED: { cls: 'refused', what: 'a key held on share cards cannot issue its renewed Notary root certificate in the app (the CLI `sign --share-card` can)' },
  // --- TUF client workflow (TUF 5.3–5.6) ---
  ROOT_VERSION_SKIPPED: { cls: 'refused', what: 'a root version is not exactly the previous one plus 1' },
  ROOT_NOT_SIGNED_BY_PREVIOUS: { cls: 'refused', what: 'a new root lacks a threshold of the previous root keys (TUF 5.3.4)' },
  ROOT_NOT_SIGNED_BY_SELF: { cls: 'refused', what: 'a new root lacks a threshold of its own keys (TUF 5.3.4)' },
  ROOT_CHAIN_BROKEN: { cls: 'refused', what: 'the root chain cannot be walked from the trusted root' },
  TRUSTED_ROOT_MISMATCH: { cls: 'refused', what: 'the pinned root does not match the chain being verified' },
  ROLLBACK: { cls: 'refused', what: 'a version is lower than the one already trusted' },
  EXPIRED: { cls: 'refused', what: 'metadata has expired (freeze attack) by the local clock' },
  VERSION_MISMATCH: { cls: 'refused', what: 'a version differs from the one the referring metadata names' },
  LENGTH_MISMATCH: { cls: 'refused', what: 'a length differs from the one the referring metadata names' },
  HASH_MISMATCH: { cls: 'refused', what: 'a hash differs from the one the referring metadata names' },
  META_MISSING: { cls: 'refused', what: 'metadata needed for verification is missing' },
  SNAPSHOT_META_REMOVED: { cls: 'refused', what: 'a new snapshot drops a role the trusted one listed (TUF 5.5.5)' },
  DELEGATION_INVALID: { cls: 'refused', what: 'a delegation is malformed or its role is not reachable' },
  DELEGATION_UNSUPPORTED: { cls: 'refused', what: 'a delegation form this tool does not implement: TAP 15 succinct_roles (hashed bins named by formula)' },
  DELEGATION_AMBIGUOUS: { cls: 'refused', what: 'one role name is delegated twice with other keys or threshold, so which delegation verifies its file depends on the target a client looks up' },
  UNEXPECTED_FILE: { cls: 'refused', what: 'a metadata directory holds a file that is not part of a repository' },
  // --- usage ---
  USAGE: { cls: 'usage', what: 'the command line is wrong' },
  FILE_NOT_FOUND: { cls: 'usage', what: 'a named file or directory does not exist' },
  OUTPUT_EXISTS: { cls: 'usage', what: 'an output would overwrite an existing file' },
  // --- IPC ---
  IPC_INVALID: { cls: 'refused', what: 'an IPC payload failed its schema' },
  IPC_SENDER_REFUSED: { cls: 'refused', what: 'an IPC call came from a frame that may not make it' },
  MODULE_CHOICE_UNKNOWN: { cls: 'refused', what: 'the screen named a PKCS#11 module handle main never issued or has forgotten: choose the module file again' },
  // --- tokens (PKCS#11 modules, hardware and software signers) ---
  TOKEN_MODULE_NOT_FOUND: { cls: 'token', what: 'the PKCS#11 module file does not exist or cannot be opened' },
  TOKEN_MODULE_INVALID: { cls: 'token', what: 'the file is not a PKCS#11 library, or it failed to initialise' },
  TOKEN_NOT_PRESENT: { cls: 'token', what: 'no token is inserted, or none matches the expected label or serial' },
  TOKEN_REMOVED: { cls: 'token', what: 'the token was removed (or its session closed) between two steps' },
  TOKEN_LOGIN_REQUIRED: { cls: 'token', what: 'the token needs the PIN before this step' },
  TOKEN_LOGIN_SHARED: { cls: 'token', what: 'the module answered "already logged in" for a token this process never logged in to (one login shared across its tokens, as opencryptoki does): the PIN could not be checked; use one token of this module per process' },
  TOKEN_ERROR: { cls: 'token', what: 'the token or its module reported an error not covered by a more specific code' },
  PIN_INCORRECT: { cls: 'token', what: 'the token did not accept the PIN' },
  PIN_LOCKED: { cls: 'token', what: 'the PIN is locked after too many wrong tries' },
  MECHANISM_UNSUPPORTED: { cls: 'token', what: 'the token cannot generate or sign with the requested key type' },
  KEY_LABEL_EXISTS: { cls: 'token', what: 'a key with this label is already on the token (labels are never reused)' },
  MANAGEMENT_KEY_INCORRECT: { cls: 'token', what: 'the YubiKey did not accept the PIV management key (nothing was written to it)' },
  TOUCH_TIMEOUT: { cls: 'token', what: 'the YubiKey waited for a touch that did not come (about 15 seconds); nothing was signed' },
  PIV_NO_FREE_SLOT: { cls: 'token', what: 'the YubiKey has no empty retired PIV slot (82–95) to propose, and the site bindings name none' },
  PIV_SLOT_DECLINED: { cls: 'refused', what: 'the custodian did not confirm the PIV slot proposed for a key (nothing was written to the card)' },
  KEY_ID_EXISTS: { cls: 'token', what: 'a key with this ID (for a YubiKey: this PIV slot) is already on the token' },
  TOKEN_KEY_NOT_FOUND: { cls: 'token', what: 'no key with the expected label, ID or fingerprint is on the token' },
  TOKEN_KEY_EXTRACTABLE: { cls: 'token', what: 'a private key on the token can be read out or is not marked sensitive' },
  TOKEN_TEMPLATE_REFUSED: { cls: 'token', what: 'the token refused both the full and the minimal key generation template (the attribute it objects to is named)' },
  TOKEN_KEY_ATTRIBUTES_UNSAFE: { cls: 'token', what: 'a key the token generated reads back without sensitive, non-extractable, sign-only attributes; the pair was destroyed' },
  TOKEN_SOFTWARE: { cls: 'token', what: 'a software token (SoftHSM2, swtpm, NSS softokn, opencryptoki soft token) was offered for a real ceremony whose plan does not allow software tokens' },
  TOKEN_AMBIGUOUS: { cls: 'token', what: 'several tokens match the serial and label given (serials are not unique on some modules): tell them apart by label, or by slot description' },
  TOKEN_SIGNATURE_INVALID: { cls: 'token', what: 'a signature returned by a token or signer does not verify with its public key' },
  SIGNER_DISPOSED: { cls: 'token', what: 'a software key was used after it was wiped from memory' },
  // --- YubiKey PIV attestation (src/attestation) ---
  ATTESTATION_MALFORMED: { cls: 'refused', what: 'an attestation or f9 certificate is not X.509, or lacks the YubiKey firmware and serial extensions' },
  ATTESTATION_CHAIN_BROKEN: { cls: 'refused', what: 'an attestation chain link does not verify (wrong issuer key or name), or a certificate on it is outside its validity' },
  ATTESTATION_UNKNOWN_ROOT: { cls: 'refused', what: 'an attestation chain ends at a CA that is not a bundled Yubico root (or a root given with --attestation-roots)' },
  ATTESTATION_KEY_MISMATCH: { cls: 'refused', what: 'an attestation certifies another public key than the key in use' },
  ATTESTATION_MISSING: { cls: 'refused', what: 'the plan requires an attestation for a key that has none in attestations.json' },
  ATTESTATION_POLICY_FORBIDDEN: { cls: 'refused', what: "an attested key's PIN or touch policy is one the plan does not allow" },
  // --- transcript (hash-chained ceremony log, seal; src/audit) ---
  TRANSCRIPT_MALFORMED: { cls: 'refused', what: 'a transcript line is not the canonical JSON of a known record, or a field in it is invalid (line and JSON path given)' },
  TRANSCRIPT_CHAIN_BROKEN: { cls: 'refused', what: "a transcript record does not match its hash, or its `prev` is not the previous record's hash" },
  TRANSCRIPT_SEQUENCE: { cls: 'refused', what: 'transcript entries are missing, repeated or out of order' },
  TRANSCRIPT_NOT_SEALED: { cls: 'refused', what: 'the transcript has no seal (an interrupted ceremony, or the seal was removed)' },
  TRANSCRIPT_SEAL_INVALID: { cls: 'refused', what: "the transcript seal's signature, key or totals do not match the transcript" },
  TRANSCRIPT_SEAL_KEY_UNEXPECTED: { cls: 'refused', what: 'the transcript is sealed by a key other than the one expected' },
  TRANSCRIPT_TRUNCATED: { cls: 'refused', what: 'the transcript ends mid-line (cut short), or is empty, or has fewer entries than the ceremony state recorded (entries removed from its end)' },
  TRANSCRIPT_AFTER_SEAL: { cls: 'refused', what: 'the transcript has records after its seal' },
  TRANSCRIPT_FIELD_INVALID: { cls: 'refused', what: 'a field to record in the transcript is missing, of the wrong type, too long or holds control characters' },
  TRANSCRIPT_SECRET_REFUSED: { cls: 'refused', what: 'a field to record in the transcript looks like key material (a private key, a long hex or base64 run)' },
  TRANSCRIPT_CLOSED: { cls: 'refused', what: 'the transcript is sealed, or a write to it failed; nothing more can be appended' },
  // --- shamir (share cards: src/shamir) ---
  SHARE_FORMAT: { cls: 'refused', what: 'a share card is not laid out as a card: a field missing, unknown or repeated, a value or a line of the wrong length (line and group named)' },
  SHARE_CHARACTER: { cls: 'refused', what: 'a share card holds a character outside its alphabet (character, group and line named)' },
  SHARE_CHECKSUM: { cls: 'refused', what: "a group of a share card's data fails its check character: a typing mistake (group and line named)" },
  SHARE_CARD_CHECKSUM: { cls: 'refused', what: 'the card check does not match the fields of a share card: a header line was mistyped or edited' },
  SHARE_VERSION_UNSUPPORTED: { cls: 'refused', what: 'a share card of a format version this tool does not read' },
  SHARE_INVALID: { cls: 'refused', what: 'a share card holds values that cannot be: threshold above the number of cards, an index not matching its share data' },
  SHARE_MIXED_SPLITS: { cls: 'refused', what: 'the share cards come from different splits' },
  SHARE_INCONSISTENT: { cls: 'refused', what: 'share cards of one split disagree on the threshold, algorithm, fingerprint, label or rehearsal mark' },
  SHARE_DUPLICATE: { cls: 'refused', what: 'two share cards have the same share index' },
  SHARE_TOO_FEW: { cls: 'refused', what: 'fewer share cards than the threshold (the message says how many more)' },
  SHARE_KEY_MISMATCH: { cls: 'refused', what: 'the key rebuilt from share cards does not match the fingerprint they record' },
  SHARE_SPLIT_MISMATCH: { cls: 'refused', what: 'a share card is not from the split that was expected' },
  SHARE_FINGERPRINT_MISMATCH: { cls: 'refused', what: 'a share card is a share of a key other than the one expected' },
  SHARE_SET_UNKNOWN: { cls: 'refused', what: 'a set of entered share cards this session does not hold: it was used, cleared or left idle too long (its cards were wiped), or it belongs to another session' },
  // --- ceremony plans, site bindings and the ceremony state (src/ceremony) ---
  PLAN_INVALID: { cls: 'refused', what: 'a ceremony plan field is missing, unknown, of the wrong type or not allowed (JSON path named)' },
  INVENTORY_INVALID: { cls: 'refused', what: 'a key inventory (key-inventory.json) is not one this tool writes (JSON path named)' },
  INVENTORY_TOO_LARGE: { cls: 'refused', what: 'an update would make the key inventory larger than the limits it is read with (keys, repositories, roles per key, bytes; the message names which): it was not written, and the file is as it was' },
  INVENTORY_CHANGED: { cls: 'refused', what: 'the key inventory was changed (or created, or removed) by another writer between being read and written: it was not overwritten' },
  INVENTORY_LOCKED: {
    cls: 'refused',
    what: "another command is writing the key inventory (its lock file `<inventory>.lock` names the process) and did not finish in time, or another command's live lock was moved aside and could not be put back (the path names that file): the message says whether this command's change was written",
  },
  INVENTORY_LOCK_STALE: { cls: 'refused', what: 'the key inventory\'s lock file `<inventory>.lock` was taken on another host and is still there after the wait, or cannot be read (a dead process of this host has its lock taken over): the inventory was not changed; delete the lock once no command is running there' },
  REPOSITORY_NAME_UNSAFE: { cls: 'refused', what: 'a repository name cannot be made into a safe, unambiguous folder name (or a folder name is not one this tool writes)' },
  PLAN_INPUT_MISMATCH: { cls: 'refused', what: 'an input file the plan names (a server key) is missing, malformed, or not the bytes the plan recorded by hash' },
  KEY_FILE_PRIVATE: { cls: 'refused', what: 'a file meant to hold a public key holds a private key: refused unread; treat that key as exposed' },
  BINDINGS_INVALID: { cls: 'refused', what: 'a site bindings field is missing, unknown, of the wrong type, or contradicts the plan (JSON path named)' },
  BINDINGS_PLAN_MISMATCH: { cls: 'refused', what: 'the site bindings were written for another plan (its intent hash differs)' },
  CEREMONY_STATE_INVALID: { cls: 'refused', what: 'the ceremony state file is malformed or contradicts the files next to it' },
  CEREMONY_STATE_MISMATCH: { cls: 'refused', what: 'the ceremony state in the output folder belongs to another plan, profile or kind of run' },
  CEREMONY_CANNOT_RESUME: { cls: 'refused', what: 'an interrupted ceremony cannot continue from where it stopped (the message says why and what to do)' },
  CEREMONY_OUTPUT_CHANGED: { cls: 'refused', what: 'a file the ceremony wrote earlier no longer has the bytes it recorded' },
  CEREMONY_COMPLETE: { cls: 'usage', what: 'the ceremony in the output folder is already complete; nothing was done' },
  // --- rotation and co-signing (src/rotation: root v N+1, signing requests, signature responses, merge) ---
  ROTATION_CHANGE_INVALID: { cls: 'refused', what: 'a rotation change set names a key the current root does not list, lists a key twice, or changes nothing it can' },
  ROTATION_UNFOLLOWABLE: { cls: 'refused', what: 'a rotation clients at the previous version could not follow: the old threshold cannot be met by keys still available, or the new threshold is unreachable' },
  ROTATION_REQUEST_TAMPERED: { cls: 'refused', what: 'a signing request no longer matches its request ID or its policy: it was changed after export' },
  ROTATION_RESPONSE_MISMATCH: { cls: 'refused', what: 'a signature response is for another request, or for other bytes than this request asks to sign' },
  ROTATION_SIGNER_UNKNOWN: { cls: 'refused', what: 'a signature is by a key the request does not wait for: neither the previous nor the new root role (root requests), nor the root\'s targets role (targets requests)' },
  ROTATION_SIGNATURE_DUPLICATE: { cls: 'refused', what: 'the same key signed twice across the responses being merged' },
  NAME_IMITATES_KEY_TEXT: { cls: 'refused', what: "a key's or holder's name could be read as a key's identification in a review (\"fingerprint\", \"key\" and hex, a run of hex digits, PGP words in a row): names are labels" },
  NAME_DUPLICATE: { cls: 'refused', what: 'two different keys of one signing request or plan have the same name (compared ignoring case, width and spacing)' },
  HASH_TOO_SHORT: { cls: 'usage', what: 'a hash given to compare (--expect-hash) is shorter than the 128-bit short hash: an older 64-bit short hash is no longer accepted' },
  ROTATION_SIGNATURE_INVALID: { cls: 'refused', what: 'a signature in a response does not verify over the bytes of the request' },
  // --- targets-level changes (src/rotation/targets-payload.ts: delegations and revocations in targets.json N+1) ---
  DELEGATION_UNKNOWN: { cls: 'refused', what: 'a targets change removes, re-keys or revokes a key of a delegation the current targets.json does not delegate' },
  DELEGATION_EXISTS: { cls: 'refused', what: 'a targets change adds a delegation the current targets.json already has (re-key it instead)' },
  DELEGATION_KEY_UNKNOWN: { cls: 'refused', what: 'a targets change revokes a key that the named delegation (or any delegation) does not list' },
  TARGET_UNKNOWN: { cls: 'refused', what: 'a targets change revokes a target that targets.json does not list (targets of a delegated role live in that role\'s own file)' },
  TARGET_EXISTS: { cls: 'refused', what: 'a targets change adds a target file targets.json already lists (update it instead)' },
  REVOKE_TAGS_INVALID: { cls: 'refused', what: "a \"revoke these tags too\" part is not the delegated role's current file with only targets removed, or the change takes no key from that role, or removes the delegation" },
  MERGE_HALF_SIGNED: { cls: 'refused', what: 'a request with two parts (targets.json and a delegated role\'s file) has one part signed to its threshold and not the other: both files are written together or not at all' },
  TARGET_OUTSIDE_DELEGATION: { cls: 'refused', what: "a delegated role's change adds or updates a target outside the paths targets.json trusts that role for (clients would ignore it)" },
  // --- bundle / import (src/bundle, src/trust-store) ---
  BUNDLE_NOT_A_BUNDLE: { cls: 'refused', what: 'the file does not start with the tuf-ceremony bundle header' },
  BUNDLE_MALFORMED: { cls: 'refused', what: 'the bundle manifest is not canonical JSON of the bundle schema: a field missing, unknown or of the wrong type (JSON path named)' },
  BUNDLE_TOO_LARGE: { cls: 'refused', what: 'the bundle, or one file the manifest announces, is larger than its size cap' },
  BUNDLE_MANIFEST_TOO_LARGE: { cls: 'refused', what: 'the bundle manifest line is longer than its cap (or never ends)' },
  BUNDLE_VERSION_UNSUPPORTED: { cls: 'refused', what: 'the bundle is of a format version this tool does not read' },
  BUNDLE_KIND_UNKNOWN: { cls: 'refused', what: 'the bundle kind is not one this tool knows' },
  BUNDLE_KIND_UNEXPECTED: { cls: 'refused', what: 'the bundle is of another kind than the command needs (e.g. a signing request given to import)' },
  BUNDLE_FILE_NAME_INVALID: { cls: 'refused', what: 'a file name in the bundle manifest is unsafe (dot-dot, absolute, hidden, control characters) or not a metadata file' },
  BUNDLE_FILE_DUPLICATE: { cls: 'refused', what: 'the bundle manifest names a file twice, or lists files out of order' },
  BUNDLE_MANIFEST_MISMATCH: { cls: 'refused', what: "a file's bytes do not have the length or SHA-256 the bundle manifest states (file named)" },
  BUNDLE_TRUNCATED: { cls: 'refused', what: 'the bundle ends before the files its manifest announces' },
  BUNDLE_TRAILING_BYTES: { cls: 'refused', what: 'the bundle has bytes after the last file its manifest announces' },
  BUNDLE_WRITE_VERIFY_FAILED: { cls: 'refused', what: 'a file (a bundle, a signing request or response, a root or targets.json) read back after writing is not what was written: a media fault; do not use that copy' },
  BUNDLE_CONTENT_INVALID: { cls: 'refused', what: 'a file in a bundle is not what the bundle kind says (a signing-request or signature-response bundle holding something else, or a request for another repository)' },
  IMPORT_PIN_NOT_FOUND: { cls: 'refused', what: 'no root with the pinned fingerprint is in the bundle or installed in the trust directory' },
  IMPORT_PIN_BEHIND_INSTALLED: { cls: 'refused', what: 'the pinned root is older than the installed root and the input\'s root chain from it does not reach the installed root byte for byte (a fork by keys the installed root removed?)' },
  IMPORT_PIN_CONFLICTS_INSTALLED: { cls: 'refused', what: 'the pinned root is another root of the installed version, or a newer root the installed root does not reach through the input\'s chain' },
  IMPORT_REPOSITORY_MISMATCH: { cls: 'refused', what: 'the bundle is for another repository (GUN) or profile than the one named or installed' },
  ROLE_FILE_NAME_COLLISION: { cls: 'refused', what: 'two role names of a bundle would be one file on a case- or normalisation-insensitive file system (Windows, macOS)' },
  REPOSITORY_FOLDER_COLLISION: { cls: 'refused', what: 'the trust directory already holds another repository\'s folder that would be this repository\'s on a case- or normalisation-insensitive file system (Windows, macOS): names differing only in case or accents' },
  ROLE_FILE_NAME_UNPORTABLE: { cls: 'refused', what: 'a role name of a bundle cannot be a file name on some file system (a Windows device name, a character Windows refuses, a trailing dot or space, not valid Unicode, too long)' },
  TRUST_DIR_INVALID: { cls: 'refused', what: 'the installed trust directory holds metadata that cannot be read, or the import history is damaged, or a folder on the way to the trust folder (or the sessions folder) is a link or a file' },
  IMPORT_LOCKED: { cls: 'refused', what: 'another import into the same trust directory is running (its lock file names the process); nothing was changed' },
  IMPORT_LOCK_STALE: { cls: 'refused', what: 'an import lock was left by a process that is no longer running: remove it (import --remove-stale-lock, or the Import screen’s button), then import again' },
  IMPORT_LOCK_NOT_STALE: { cls: 'refused', what: 'the import lock was not removed: its owner still runs, it was taken on another host, or it is unreadable but recent' },
  TRUST_DIR_NAME_TAKEN: { cls: 'refused', what: 'a name the import uses beside the trust folder (its swap journal, staging or set-aside folder) is taken by something the tool did not create; nothing was touched' },
  IMPORT_INSTALLED_CLEANUP_FAILED: { cls: 'refused', what: 'the new trust folder IS installed (renamed into place), but a step after the rename failed (syncing its parent folder, removing the folder it replaced): the message names the cause and what is left beside it, which the next import removes' },
  // --- the machine's file system (issue #12: not a bug, so not INTERNAL) ---
  DISK_FULL: { cls: 'refused', what: 'a write failed because the disk (or the quota) is full; the message names the folder' },
  READ_ONLY: { cls: 'refused', what: 'a write failed because the file system is read-only; the message names the folder' },
  PERMISSION_DENIED: { cls: 'refused', what: 'a file or folder may not be read or written by this user (or is immutable); the message names it' },
  NOT_A_REGULAR_FILE: { cls: 'refused', what: 'an input (or the import lock) is a FIFO, device, socket or other non-regular file: refused without opening it for reading' },
  FILE_CHANGED: { cls: 'refused', what: 'an input file did not hold the number of bytes its size said when read (it changed while being read, or its file system reports no size), or a folder read twice by verify did not verify the same both times: nothing of it was used' },
  // --- hostable repository trees and refreshes (src/repository-tree, src/refresh) ---
  TARGET_NAME_UNSAFE: { cls: 'refused', what: 'a target name cannot be a file path under targets/ (dot-dot, absolute, empty or hidden segments, control characters)' },
  TARGET_FILE_MISMATCH: { cls: 'refused', what: "a target file's bytes do not have the length or hashes its targets metadata records (file named)" },
  ROOT_EXPIRED: { cls: 'refused', what: 'the newest root has expired: a snapshot/timestamp refresh cannot fix that, rotate the root first' },
  SIGSTORE_TRUSTED_ROOT_INVALID: { cls: 'refused', what: 'a Sigstore trusted_root.json is not JSON of the TrustedRoot message: a field used to describe it is missing or of the wrong type (JSON path named)' },
  REFRESH_KEY_NOT_IN_ROOT: { cls: 'refused', what: "a key given to sign a snapshot or timestamp is not one of that role's keys in the current root" },
  // --- animated QR (fountain-coded UR frames: src/transport/qr) ---
  QR_NOT_UR: { cls: 'refused', what: 'a QR frame is not a Uniform Resource (it does not start with `ur:`)' },
  QR_TYPE_UNEXPECTED: { cls: 'refused', what: 'a QR frame is a UR of another type than a tuf-ceremony bundle' },
  QR_FRAME_INVALID: { cls: 'refused', what: 'a QR frame is malformed: its path, sequence, bytewords or CBOR do not fit the UR multipart format, or its fields contradict each other' },
  QR_FRAME_CHECKSUM: { cls: 'refused', what: "a QR frame's CRC32 does not match its content (a misread or altered frame)" },
  QR_FRAME_TOO_LARGE: { cls: 'refused', what: 'a QR frame holds more text than any QR code can' },
  QR_MESSAGE_TOO_LARGE: { cls: 'refused', what: 'QR frames announce a bundle larger than the size cap' },
  QR_FOREIGN_FRAME: { cls: 'refused', what: 'a QR frame belongs to another bundle than the frames read before it' },
  QR_MESSAGE_CHECKSUM: { cls: 'refused', what: "the bundle reassembled from QR frames does not match the frames' checksum" },
  QR_MESSAGE_NOT_BUNDLE: { cls: 'refused', what: "the bytes reassembled from QR frames pass their checksum but are not a tuf-ceremony bundle (magic, manifest, each file's SHA-256): frames of two bundles were mixed, or forged" },
  QR_INCOMPLETE: { cls: 'refused', what: 'the QR frames read are not enough to reassemble the bundle (the message says how many more are needed)' },
  QR_IMAGE_UNREADABLE: { cls: 'refused', what: 'an image could not be decoded, or holds no QR code' },
  QR_IMAGE_TOO_LARGE: { cls: 'refused', what: 'an image header announces more pixels than the budget for a QR frame (refused before it is decoded)' },
  QR_SCANNER_CLOSED: { cls: 'usage', what: 'a QR frame was sent to the app while its camera scanner is not open (frames are taken only while it reads)' },
  QR_TOO_MANY_PARTS: { cls: 'refused', what: 'more distinct QR frames were read than a bundle of the announced size can need: the stream is not one this tool wrote' },
  REHEARSAL_TRANSPORT_MISMATCH: { cls: 'refused', what: "a rehearsal's simulated site received other bundle bytes by QR than the USB bundle holds" },
  REHEARSAL_REFUSAL_MISSED: { cls: 'internal', what: "a rehearsal's tampered bundle was accepted, or the refused import changed the site's trust folder" },
  // --- publishing to notary-server and reading it (src/publish, src/status; issue #14). Class `remote`
  // (exit 4): the server or the network failed us, not the input. ---
  SERVER_UNREACHABLE: { cls: 'remote', what: 'the server (or its token realm) could not be reached: connection refused, timed out, or the name does not resolve' },
  SERVER_TLS_UNTRUSTED: { cls: 'remote', what: "the server's TLS certificate is not trusted by --ca-file (or the system store), or does not name the host" },
  SERVER_AUTH_FAILED: { cls: 'remote', what: 'the token realm refused the credentials (wrong user name or password), or the token it gave does not allow the request' },
  SERVER_AUTH_CHALLENGE_INVALID: {
    cls: 'remote',
    what: "the server's WWW-Authenticate challenge is not a Bearer challenge with a https realm, asks for a token scope beyond the --gun repository and the actions the command needs, or names a token realm off the server's origin that --token-realm does not allow (credentials are not sent there)",
  },
  SERVER_CREDENTIALS_MISSING: { cls: 'usage', what: 'the server asks for credentials and none were given (no password variable set, no terminal to ask on)' },
  SERVER_RESPONSE_INVALID: { cls: 'remote', what: 'the server answered with an unexpected status, an oversized body, or something that is not what the request asks for' },
  SERVER_REFUSED_UPLOAD: { cls: 'refused', what: "notary-server refused the upload (HTTP 400); the server's reason is quoted" },
  PUBLISH_PROFILE_UNSUPPORTED: { cls: 'refused', what: 'notary-server serves Notary repositories only: the metadata is of the TUF profile' },
  PUBLISH_SERVER_NEWER: { cls: 'refused', what: 'the server already holds a newer version of a role than the one to publish: nothing was uploaded' },
  PUBLISH_CONFLICT: { cls: 'refused', what: 'the server holds the same version of a role with other bytes (a fork): nothing was uploaded' },
  PUBLISH_ROOT_VERSION_UNACCEPTABLE: { cls: 'refused', what: 'notary-server accepts only its current root version or the next one: publish the versions in between first' },
  PUBLISH_HALF_SET: { cls: 'refused', what: 'the files to upload would break clients without the files that must go with them (targets.json re-signed for a new targets key, snapshot.json over the new files, targets in a first upload, a delegated role\'s new file with targets.json that takes a key from it)' },
  PUBLISH_SNAPSHOT_KEY_NOT_HELD: { cls: 'refused', what: 'no snapshot.json is in the upload and the server does not hold the snapshot key the root names (notary-server: "no snapshot was included in update and server does not hold current snapshot key")' },
  PUBLISH_FIRST_UNCONFIRMED: { cls: 'refused', what: 'the server serves nothing for the repository (a first publish) but the root is above version 1: a repository never published, or a server that lost its data, is the wrong one or is lying; only `publish --first-publish` says which: nothing was uploaded' },
  PUBLISH_NOT_FIRST: { cls: 'refused', what: '`publish --first-publish` says the server has never served this repository, but it serves files for it: a wrong server or GUN, or a repository published before: nothing was uploaded' },
  PUBLISH_SERVER_UNVERIFIED: { cls: 'remote', what: "the server's targets.json (with the root, timestamp and snapshot that vouch for it) is missing, does not verify from the pinned root, or is not the version the input's targets.json replaces, so publish cannot tell which delegated roles a new targets.json takes a key from: nothing was uploaded" },
  PUBLISH_UPLOADED_UNVERIFIED: { cls: 'remote', what: 'the server accepted the upload, but fetching it back to verify it failed (an HTTP error, no answer in time): the server may now serve the new metadata, unverified; check what it serves with `status --server`, and publish the same input again to verify it (it uploads only what the server does not serve yet)' },
  PUBLISH_OUTCOME_UNKNOWN: { cls: 'remote', what: 'the upload went out whole but the server\'s answer was lost (no answer in time, or the connection broke), and what the server serves afterwards is neither the upload nor what it served before: check what it serves with `status --server`, then publish the same input again (it uploads only what the server does not serve yet, then verifies)' },
  PUBLISH_FETCH_BACK_MISMATCH: { cls: 'remote', what: 'after the upload the server serves other bytes than were uploaded, a role at another version than the one it served before (a rollback), or metadata that does not verify from the pinned root' },
  SERVER_KEY_INVALID: { cls: 'remote', what: "the server's timestamp or snapshot key answer is not a public ed25519 / ecdsa key as notary-server serves it" },
  // --- internal ---
  INTERNAL: { cls: 'internal', what: 'a bug: please report it with the transcript' },
} as const satisfies Record<string, { cls: ErrorClass; what: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface CeremonyErrorOptions {
  /** JSON path (RFC 9535 style, e.g. `$.signed.roles.root.threshold`) or file path the error is about. */
  path?: string;
  cause?: unknown;
}

export class CeremonyError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options: CeremonyErrorOptions = {}) {
    super(`${message}${pathSuffix(options.path)}`, { cause: options.cause });
    this.name = 'CeremonyError';
    this.code = code;
    this.path = options.path;
  }

  get errorClass(): ErrorClass {
    return ERROR_CODES[this.code].cls;
  }
}

/** Exit status for the CLI (PRODUCT.md §3): 1 refused input, 2 usage, 3 token/hardware, 4 server or network (publish, status --server). */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof CeremonyError)) return 1;
  switch (err.errorClass) {
    case 'usage':
      return 2;
    case 'token':
      return 3;
    case 'remote':
      return 4;
    default:
      return 1;
  }
}

/**
 * A refusal's message without the " (at PATH)" its constructor appended, for a wrapper that re-throws it
 * with words of its own and the same path (or one holding it): the wrapper's constructor appends the path
 * again, so passing `err.message` on printed it twice, "… (at P) (at P)" (review 13a, cosmetic). Compared
 * as a string, not a pattern: a path may hold parentheses ("response 2 (Alice) $.signatures[0]").
 */
export function messageWithoutPath(err: CeremonyError): string {
  return stripPathSuffix(err.message, err.path);
}

export function isCeremonyError(err: unknown, code?: ErrorCode): err is CeremonyError {
  return err instanceof CeremonyError && (code === undefined || err.code === code);
}

/** Serialisable form for IPC and `--json`: prototypes do not cross processes. */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  path?: string;
}

export function toErrorShape(err: unknown): ErrorShape {
  if (err instanceof CeremonyError) {
    return err.path ? { code: err.code, message: err.message, path: err.path } : { code: err.code, message: err.message };
  }
  // Unknown errors are reported by kind only: their messages may come from native code and are not
  // vetted for secrets.
  return { code: 'INTERNAL', message: 'unexpected internal error' };
}
