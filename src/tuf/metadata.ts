import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { asArray, asObject, asString, child, isObject, unrecognizedFields } from '../json/fields.js';
import { goFieldSet, refuseGoFoldedKeys } from '../json/go-fold.js';
import { defaultMaxValues, parseSignedEnvelope } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { Profile, ProfileName, SignatureJson } from '../profiles/profile.js';
import type { ListedKey } from './keys.js';
import { isHexDigest } from './meta-file.js';
import { parseRootSigned, type Root } from './root.js';
import { profileOfType, type RoleType } from './signed-common.js';
import { parseSnapshotSigned, parseTimestampSigned, type Snapshot, type Timestamp } from './snapshot.js';
import { parseTargetsSigned, targetsJson, targetsReader, type Targets } from './targets.js';

export type Signed = Root | Targets | Snapshot | Timestamp;
export type SignedOf<R extends RoleType> = Extract<Signed, { type: R }>;

/**
 * A signed metadata file: TUF 4.2 `{"signed": …, "signatures": […]}`. Built only by `parseMetadata` from
 * untrusted bytes (size cap → strict parse → schema into new objects); signatures are *not* checked here
 * (see verify.ts), because which keys must sign depends on who delegates to the role.
 */
export interface Metadata<T extends Signed = Signed> {
  readonly profile: Profile;
  readonly signed: T;
  /** The `signed` object exactly as parsed, unknown fields included: signatures cover its canonical form. */
  readonly signedJson: JsonObject;
  readonly signatures: readonly SignatureJson[];
  /** The file as received: lengths and hashes in snapshot/timestamp refer to these bytes. */
  readonly bytes: Uint8Array;
  /** Where it came from, for messages (a file name, never secret). */
  readonly source: string;
  readonly unrecognized: JsonObject;
  /** Canonical bytes of `signed` (memoised): what every signature is over. */
  signedBytes(): Uint8Array;
  /** The profile's other accepted canonical spelling of `signed`, if it has one (memoised). */
  alternateSignedBytes(): Uint8Array | undefined;
}

export interface ParseOptions {
  /** Force a profile; by default it is read from `_type` (capitalised = Notary). */
  profile?: ProfileName;
  /** Size cap in bytes, checked first. */
  maxBytes: number;
  source: string;
  /**
   * Values shared by several documents (a repository, an inspection): each parse may use what is left
   * (at most json/parse.ts defaultMaxValues of its byte cap) and what it used is taken off, so the memory of everything parsed and
   * kept is bounded, not only each file's.
   */
  budget?: ValueBudget;
  /**
   * A root's keys already parsed in this verification (the previous version's, as a chain is walked): an
   * identical key entry is taken from there instead of being decoded again (parseKeyTable). Never a cache
   * across verifications.
   */
  knownKeys?: ReadonlyMap<string, ListedKey>;
  /**
   * The caller gives `bytes` up (json/parse.ts ParseJsonOptions.givenUp): a pretty-printed file is
   * compacted in them, so the result's `bytes` are not the file, and a refusal may not be the file's own.
   */
  givenUp?: boolean;
}

/** What is left of a shared value budget (ParseOptions.budget). */
export interface ValueBudget {
  remaining: number;
}

const ENVELOPE_FIELDS = new Set(['signed', 'signatures']);
/**
 * Field names Go clients read these objects by (json/go-fold.ts): the envelope (go-tuf data.Signed, notary
 * data.Signed) and a signature (go-tuf data.Signature keyid/sig; notary data.Signature adds method).
 */
const ENVELOPE_GO = goFieldSet(ENVELOPE_FIELDS);
const SIGNATURE_GO = goFieldSet(['keyid', 'sig', 'method']);
/** `_type` alone: read before the role is known, so a lone `"_Type"` is refused as folded, not as missing. */
const TYPE_GO = goFieldSet(['_type']);

function parseSignatures(profile: Profile, value: JsonValue | undefined, path: string): SignatureJson[] {
  const items = asArray(value, path);
  const out: SignatureJson[] = new Array(items.length);
  const seen = items.length > 8 ? new Set<string>() : undefined;
  // Paths are formatted only to refuse (a root chain parses thousands of signatures).
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const obj = isObject(item) ? item : asObject(item, child(path, i));
    refuseGoFoldedKeys(obj, SIGNATURE_GO, () => child(path, i));
    const keyid = typeof obj.keyid === 'string' ? obj.keyid : asString(obj.keyid, child(child(path, i), 'keyid'));
    if (keyid.length !== 64 || !isHexDigest(keyid)) {
      throw new CeremonyError('SCHEMA_INVALID', 'a key ID must be 64 lower-case hex characters', { path: child(child(path, i), 'keyid') });
    }
    // python-tuf and tuf-js key signatures by key ID: two signatures by one key are refused, not merged.
    // A few signatures are compared one by one; many (a hostile file) through a set, to stay linear.
    let dup = false;
    if (seen) dup = seen.has(keyid);
    else for (let j = 0; j < i && !dup; j++) dup = out[j]!.keyid === keyid;
    if (dup) throw new CeremonyError('SIGNATURE_DUPLICATE', `key ${keyid.slice(0, 16)}… signed twice`, { path: child(path, i) });
    seen?.add(keyid);
    const sig: SignatureJson = { keyid, sig: typeof obj.sig === 'string' ? obj.sig : asString(obj.sig, child(child(path, i), 'sig')) };
    if (profile.name === 'notary') sig.method = asString(obj.method, child(child(path, i), 'method'));
    out[i] = sig;
  }
  return out;
}

function prefixed(source: string, err: unknown): unknown {
  if (isCeremonyError(err) && err.path?.startsWith('$')) {
    const e = new CeremonyError(err.code, messageWithoutPath(err), { path: `${source} ${err.path}`, cause: err.cause });
    return e;
  }
  return err;
}

/** Read `_type` to learn the profile without trusting anything else. */
export function detectProfile(signedObj: JsonObject, path: string): ProfileName {
  if (signedObj._type === undefined) refuseGoFoldedKeys(signedObj, TYPE_GO, path);
  const typeText = asString(signedObj._type, child(path, '_type'));
  const profile = profileOfType(typeText);
  if (!profile) throw new CeremonyError('PROFILE_UNKNOWN', `_type ${JSON.stringify(typeText)} is neither a TUF nor a Notary role`, { path: child(path, '_type') });
  return profile;
}

export function parseMetadata<R extends RoleType>(bytes: Uint8Array, expected: R, opts: ParseOptions): Metadata<SignedOf<R>> {
  return parseMetadataAs(bytes, expected, opts) as Metadata<SignedOf<R>>;
}

/**
 * For `inspect` only, which explains whatever file it is shown: the role is read from `_type` (after the
 * same strict parse; the file is parsed once). Verification always names the role it expects.
 */
export function parseMetadataOfItsRole(bytes: Uint8Array, opts: ParseOptions): Metadata {
  return parseMetadataAs(bytes, undefined, opts);
}

function parseMetadataAs(bytes: Uint8Array, wanted: RoleType | undefined, opts: ParseOptions): Metadata {
  try {
    const maxValues = Math.max(0, Math.min(defaultMaxValues(opts.maxBytes), opts.budget?.remaining ?? Infinity));
    // A targets file of a known profile has its entries read straight into the model (targetsReader).
    const reader = wanted === 'targets' && opts.profile ? targetsReader(getProfile(opts.profile)) : undefined;
    // What the parse spent is charged also when it refuses the document (ParseJsonOptions.spent).
    const spent = { values: 0 };
    const parsed = (() => {
      try {
        return parseSignedEnvelope(bytes, { maxBytes: opts.maxBytes, path: '$', maxValues, spent, ...(opts.givenUp ? { givenUp: true } : {}) }, reader);
      } finally {
        if (opts.budget) opts.budget.remaining -= spent.values;
      }
    })();
    const { value: json, canonicalSigned, keyed } = parsed;
    const envelope = asObject(json, '$');
    refuseGoFoldedKeys(envelope, ENVELOPE_GO, '$');
    const signedObj = asObject(envelope.signed, '$.signed');
    // `_type` must name a role of some profile (PROFILE_UNKNOWN otherwise), and of the expected one.
    const detected = detectProfile(signedObj, '$.signed');
    if (opts.profile && opts.profile !== detected) {
      throw new CeremonyError('ROLE_TYPE_MISMATCH', `this is ${detected} metadata, but the repository is ${opts.profile}`, { path: '$.signed._type' });
    }
    const profileName = detected;
    const profile = getProfile(profileName);
    const expected: RoleType = wanted ?? (String(signedObj._type).toLowerCase() as RoleType);
    const signatures = parseSignatures(profile, envelope.signatures, '$.signatures');
    let signed: Signed;
    switch (expected) {
      case 'root':
        signed = parseRootSigned(profile, signedObj, '$.signed', opts.knownKeys);
        break;
      case 'targets':
        signed = parseTargetsSigned(profile, signedObj, '$.signed', keyed);
        break;
      case 'snapshot':
        signed = parseSnapshotSigned(profile, signedObj, '$.signed');
        break;
      default:
        signed = parseTimestampSigned(profile, signedObj, '$.signed');
    }
    let canonical: Uint8Array | undefined = canonicalSigned;
    let alternate: Uint8Array | undefined | null = null;
    // With a reader, `signed.targets` was never built as a plain object: it is rebuilt from the model the
    // first time someone asks for the JSON (a rotation, a re-encoding), at its place among the keys.
    let plainSigned: JsonObject | undefined = keyed ? undefined : signedObj;
    const signedJson = (): JsonObject => (plainSigned ??= { ...signedObj, targets: targetsJson(keyed!.entries) });
    const md: Metadata = {
      profile,
      signed,
      get signedJson() {
        return signedJson();
      },
      signatures,
      bytes,
      source: opts.source,
      unrecognized: unrecognizedFields(envelope, ENVELOPE_FIELDS),
      signedBytes() {
        const bytes: Uint8Array = canonical ?? profile.canonical(signedJson());
        canonical = bytes;
        return bytes;
      },
      alternateSignedBytes() {
        if (alternate === null) alternate = profile.alternateCanonical?.(signedJson());
        return alternate;
      },
    };
    // A given-up file's buffer was compacted in place (ParseOptions.givenUp): it holds the compact text and
    // what was left of the file after it, not the file. Reading it is a bug of the caller's (the file's
    // hashes were checked before the parse; installing or re-hashing these bytes would be wrong), so it
    // throws rather than handing over bytes the property's contract says are the file as received.
    if (opts.givenUp) {
      const source = opts.source;
      Object.defineProperty(md, 'bytes', {
        enumerable: true,
        get(): never {
          throw new CeremonyError('INTERNAL', `${source}: its bytes were given up to the parse (compacted in place); read the file again for them`);
        },
      });
    }
    return md;
  } catch (err) {
    throw prefixed(opts.source, err);
  }
}
