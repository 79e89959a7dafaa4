/**
 * The tuf-ceremony bundle: one file that carries a set of named files across the air gap (USB, QR).
 *
 * Layout, version 1 (all of it, byte for byte):
 *
 *     TUFCEREMONY-BUNDLE\n                  the magic line (19 bytes)
 *     <manifest>\n                          one line: the canonical JSON (keys sorted, no whitespace,
 *                                           JSON string escapes) of the manifest below
 *     <file 1 bytes><file 2 bytes>…         the files' bytes, concatenated in manifest order, nothing after
 *
 *     manifest = {
 *       "created":    "2026-11-25T10:00:00Z",         UTC, whole seconds
 *       "files":      [{"length":N,"name":"root.json","sha256":"<64 hex>"}, …],   sorted by name, unique
 *       "format":     "tuf-ceremony-bundle",
 *       "kind":       "trust-bundle" | "signing-request" | "signature-response" | "share-card"
 *                     | "trust-bundle-set",               many repositories: src/bundle/set.ts
 *       "profile":    "notary" | "tuf",
 *       "repository": "registry.example.com/org/app",  the GUN (Notary) or the repository's name (TUF)
 *       "version":    1
 *     }
 *
 * Canonical: a bundle's content (kind, profile, repository, created, named files) has exactly one
 * encoding — the manifest must be its own canonical JSON and the files sorted — so the short hash of the
 * bytes names the content. Checkable while streaming: the manifest comes first, and each file's length
 * and hash is known before its bytes arrive.
 *
 * Decoding treats the bytes as hostile, in this order: total size cap → magic → manifest line cap →
 * strict JSON (duplicate keys, non-integers refused) → canonical form → schema (unknown fields, versions
 * and kinds refused) → names (trust bundles: metadata names as a repository directory holds them; other
 * kinds: safe relative names) → each file's length and SHA-256 against the manifest → no trailing bytes.
 * Signing requests and signature responses are carried as opaque named files here; their content is
 * checked by the code that reads them (src/rotation).
 */
import { CeremonyError, messageWithoutPath } from '../errors.js';
import { bytesEqual, sha256Hex } from '../crypto/digest.js';
import { shortDigest, shortDigestOf, type ShortDigest } from '../crypto/digest-words.js';
import { canonicalBytes } from '../json/canonical.js';
import { asArray, asInteger, asObject, asString, checkShownText, child, refuseUnknownFields } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { DEFAULT_CAPS, type SizeCaps } from '../tuf/caps.js';
import { capForName, classifyName, classifyRepositoryFiles, type NamedBytes } from '../tuf/repository-files.js';
import type { RepositoryFiles } from '../tuf/repository.js';

export const BUNDLE_MAGIC = 'TUFCEREMONY-BUNDLE\n';
export const BUNDLE_FORMAT = 'tuf-ceremony-bundle';
export const BUNDLE_VERSION = 1;
export const BUNDLE_KINDS = ['trust-bundle', 'signing-request', 'signature-response', 'share-card', 'trust-bundle-set'] as const;
export type BundleKind = (typeof BUNDLE_KINDS)[number];

export interface BundleCaps {
  /** The whole bundle. */
  total: number;
  /** The manifest line. */
  manifest: number;
  /** Number of files. */
  files: number;
  /** Each file of an opaque kind (trust bundles use the metadata caps per role). */
  opaqueFile: number;
  /** Metadata caps for trust bundles. */
  metadata: SizeCaps;
}

export const DEFAULT_BUNDLE_CAPS: BundleCaps = {
  total: 256 * 1024 * 1024,
  manifest: 4 * 1024 * 1024,
  files: DEFAULT_CAPS.files,
  opaqueFile: 16 * 1024 * 1024,
  metadata: DEFAULT_CAPS,
};

export interface BundleFileEntry {
  name: string;
  length: number;
  sha256: string;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  kind: BundleKind;
  profile: ProfileName;
  repository: string;
  created: string;
  files: BundleFileEntry[];
}

export interface BundleContent {
  kind: BundleKind;
  profile: ProfileName;
  repository: string;
  /** UTC, whole seconds: `2026-11-25T10:00:00Z`. */
  created: string;
  files: NamedBytes[];
}

export interface DecodedBundle extends BundleContent {
  manifest: BundleManifest;
  /** SHA-256 of the whole bundle, with its short form as hex and words. */
  hash: ShortDigest;
}

const MAGIC_BYTES = new TextEncoder().encode(BUNDLE_MAGIC);
const CREATED = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Names of opaque files: relative, `/`-separated, no dot-dot, no hidden files, no control characters. */
const SAFE_SEGMENT = /^(?!\.)[^\u0000-\u001f\u007f/\\]{1,255}$/;
const REPOSITORY = /^[^\u0000-\u001f\u007f]{1,255}$/;
const MANIFEST_FIELDS: ReadonlySet<string> = new Set(['format', 'version', 'kind', 'profile', 'repository', 'created', 'files']);
const FILE_FIELDS: ReadonlySet<string> = new Set(['name', 'length', 'sha256']);

/** Does `bytes` start with the bundle magic (cheap sniff for commands that take a bundle or a file)? */
export function looksLikeBundle(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC_BYTES.length) return false;
  for (let i = 0; i < MAGIC_BYTES.length; i++) if (bytes[i] !== MAGIC_BYTES[i]) return false;
  return true;
}

function isKind(value: string): value is BundleKind {
  return (BUNDLE_KINDS as readonly string[]).includes(value);
}

/** Byte-wise (UTF-16 code unit order equals code point order for the names we allow below U+D800). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The per-file cap and name rule of a kind; throws BUNDLE_FILE_NAME_INVALID. */
function checkName(kind: BundleKind, name: string, path: string, caps: BundleCaps): number {
  if (kind === 'trust-bundle') {
    try {
      classifyName(name);
      return capForName(name, caps.metadata);
    } catch (err) {
      throw new CeremonyError('BUNDLE_FILE_NAME_INVALID', `${JSON.stringify(name)} is not a metadata file name a repository holds`, { path, cause: err });
    }
  }
  const segments = name.split('/');
  if (segments.length > 8 || segments.some((s) => !SAFE_SEGMENT.test(s))) {
    throw new CeremonyError('BUNDLE_FILE_NAME_INVALID', `${JSON.stringify(name)} is not a safe relative file name`, { path });
  }
  return caps.opaqueFile;
}

function refuseMalformed(err: unknown): never {
  if (err instanceof CeremonyError && (err.code === 'SCHEMA_INVALID' || err.code.startsWith('JSON_'))) {
    throw new CeremonyError('BUNDLE_MALFORMED', `bundle manifest: ${messageWithoutPath(err)}`, { path: err.path, cause: err });
  }
  throw err;
}

/** Schema of the manifest, strict: unknown fields, versions and kinds refused. */
export function parseManifest(value: JsonValue, caps: BundleCaps = DEFAULT_BUNDLE_CAPS): BundleManifest {
  try {
    const obj = asObject(value, '$');
    const format = asString(obj.format, '$.format');
    if (format !== BUNDLE_FORMAT) throw new CeremonyError('BUNDLE_MALFORMED', `format is ${JSON.stringify(format)}, not ${BUNDLE_FORMAT}`, { path: '$.format' });
    const version = asInteger(obj.version, '$.version');
    if (version !== BUNDLE_VERSION) {
      throw new CeremonyError('BUNDLE_VERSION_UNSUPPORTED', `bundle format version ${version}; this tool reads version ${BUNDLE_VERSION}`, { path: '$.version' });
    }
    // Known fields are checked after the version: a later version may add fields.
    refuseUnknownFields(obj, MANIFEST_FIELDS, '$');
    const kind = asString(obj.kind, '$.kind');
    if (!isKind(kind)) throw new CeremonyError('BUNDLE_KIND_UNKNOWN', `bundle kind ${JSON.stringify(kind)} is not one of ${BUNDLE_KINDS.join(', ')}`, { path: '$.kind' });
    const profile = asString(obj.profile, '$.profile');
    if (profile !== 'notary' && profile !== 'tuf') throw new CeremonyError('BUNDLE_MALFORMED', `profile ${JSON.stringify(profile)} is neither notary nor tuf`, { path: '$.profile' });
    const repository = asString(obj.repository, '$.repository');
    if (!REPOSITORY.test(repository)) throw new CeremonyError('BUNDLE_MALFORMED', 'repository must be 1–255 characters without control characters', { path: '$.repository' });
    // The repository (a set's name) is shown on the import screen and in the CLI as the thing the operator
    // checks before installing: a bidi override (U+202E), a zero-width space or a C1 control would let one
    // name pass for another. Our plans and requests refuse them (StrictReader.text, checkShownText); a
    // bundle names what one of them named, so it refuses them too.
    checkShownText(repository, '$.repository', 255, 'BUNDLE_MALFORMED');
    const created = asString(obj.created, '$.created');
    if (!CREATED.test(created)) throw new CeremonyError('BUNDLE_MALFORMED', `created ${JSON.stringify(created)} is not a UTC time like 2026-11-25T10:00:00Z`, { path: '$.created' });
    const list = asArray(obj.files, '$.files');
    if (list.length > caps.files) throw new CeremonyError('BUNDLE_TOO_LARGE', `${list.length} files exceed the cap of ${caps.files}`, { path: '$.files' });
    const files: BundleFileEntry[] = [];
    let previous: string | undefined;
    list.forEach((item, i) => {
      const path = child('$.files', i);
      const f = asObject(item, path);
      refuseUnknownFields(f, FILE_FIELDS, path);
      const name = asString(f.name, child(path, 'name'));
      const cap = checkName(kind, name, child(path, 'name'), caps);
      if (previous !== undefined && compareNames(previous, name) >= 0) {
        throw new CeremonyError('BUNDLE_FILE_DUPLICATE', previous === name ? `${name} is listed twice` : `${name} is listed after ${previous}: files must be sorted by name`, { path: child(path, 'name') });
      }
      previous = name;
      const length = asInteger(f.length, child(path, 'length'));
      if (length > cap) throw new CeremonyError('BUNDLE_TOO_LARGE', `${name} is announced as ${length} bytes, over its cap of ${cap}`, { path: child(path, 'length') });
      const sha256 = asString(f.sha256, child(path, 'sha256'));
      if (!SHA256_HEX.test(sha256)) throw new CeremonyError('BUNDLE_MALFORMED', `sha256 of ${name} is not 64 lower-case hex digits`, { path: child(path, 'sha256') });
      files.push({ name, length, sha256 });
    });
    return { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, kind, profile, repository, created, files };
  } catch (err) {
    refuseMalformed(err);
  }
}

function manifestJson(m: BundleManifest): JsonObject {
  return {
    format: m.format,
    version: m.version,
    kind: m.kind,
    profile: m.profile,
    repository: m.repository,
    created: m.created,
    files: m.files.map((f) => ({ name: f.name, length: f.length, sha256: f.sha256 })),
  };
}

/**
 * Encode a bundle. Deterministic: the same content always gives the same bytes (files are sorted here);
 * the result is decoded again before it is returned, so nothing is emitted that import would refuse.
 */
export function encodeBundle(content: BundleContent, caps: BundleCaps = DEFAULT_BUNDLE_CAPS): Uint8Array {
  const files = [...content.files].sort((a, b) => compareNames(a.name, b.name));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    kind: content.kind,
    profile: content.profile,
    repository: content.repository,
    created: content.created,
    files: files.map((f) => ({ name: f.name, length: f.bytes.length, sha256: sha256Hex(f.bytes) })),
  };
  const line = canonicalBytes(manifestJson(manifest), 'json');
  const total = MAGIC_BYTES.length + line.length + 1 + files.reduce((n, f) => n + f.bytes.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  out.set(MAGIC_BYTES, at);
  at += MAGIC_BYTES.length;
  out.set(line, at);
  at += line.length;
  out[at++] = 0x0a;
  for (const f of files) {
    out.set(f.bytes, at);
    at += f.bytes.length;
  }
  decodeBundle(out, { caps });
  return out;
}

export interface DecodeOptions {
  caps?: BundleCaps;
  /** Refuse a bundle of another kind (BUNDLE_KIND_UNEXPECTED). */
  expectKind?: BundleKind;
  /** Where the bytes came from, for messages. */
  source?: string;
}

/**
 * Each bundle decodeBundle returned, with its files' bytes and the SHA-256 each was checked against there
 * (kept here, not on the returned object, which callers may change): decodeInnerBundle's digest can only
 * come from that check, of those very bytes.
 */
const checkedFiles = new WeakMap<DecodedBundle, readonly { bytes: Uint8Array; sha256: string }[]>();

/** Decode a bundle from untrusted bytes (see the file comment for the order of checks). */
export function decodeBundle(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedBundle {
  return decode(bytes, opts, undefined);
}

/**
 * Decode file `index` of `outer` (a bundle decodeBundle returned: a set's inner bundle) as a bundle. Its
 * bytes and its SHA-256 come from the same file entry the outer decode checked, so the inner bundle's hash
 * is that digest, not computed again (7 MB less hashing for a set of 1,000 repositories).
 */
export function decodeInnerBundle(outer: DecodedBundle, index: number, opts: DecodeOptions = {}): DecodedBundle {
  const file = checkedFiles.get(outer)?.[index];
  if (!file) throw new Error(`decodeInnerBundle: file ${index} of a bundle decodeBundle did not return`);
  return decode(file.bytes, opts, file.sha256);
}

/** decodeBundle; `checkedSha256`, when given, is the SHA-256 of `bytes` this module checked (decodeInnerBundle). */
function decode(bytes: Uint8Array, opts: DecodeOptions, checkedSha256: string | undefined): DecodedBundle {
  const caps = opts.caps ?? DEFAULT_BUNDLE_CAPS;
  const source = opts.source ?? 'bundle';
  if (bytes.length > caps.total) throw new CeremonyError('BUNDLE_TOO_LARGE', `${source} is ${bytes.length} bytes, over the cap of ${caps.total}`, { path: source });
  if (!looksLikeBundle(bytes)) throw new CeremonyError('BUNDLE_NOT_A_BUNDLE', `${source} is not a tuf-ceremony bundle (it does not start with the bundle header)`, { path: source });
  const start = MAGIC_BYTES.length;
  const limit = Math.min(bytes.length, start + caps.manifest + 1);
  // The first newline before `limit` (native search: a set's manifest line runs to ~150 KB).
  const nl = bytes.subarray(0, limit).indexOf(0x0a, start);
  const end = nl < 0 ? -1 : nl;
  if (end < 0) {
    if (limit === bytes.length && bytes.length - start <= caps.manifest) {
      throw new CeremonyError('BUNDLE_TRUNCATED', `${source} ends inside its manifest`, { path: source });
    }
    throw new CeremonyError('BUNDLE_MANIFEST_TOO_LARGE', `${source}: the manifest line is longer than the cap of ${caps.manifest} bytes`, { path: source });
  }
  const line = bytes.subarray(start, end);
  let value: JsonValue;
  try {
    value = parseJsonStrict(line, { maxBytes: caps.manifest, path: '$' });
  } catch (err) {
    refuseMalformed(err);
  }
  const manifest = parseManifest(value, caps);
  const canonical = canonicalBytes(manifestJson(manifest), 'json');
  if (!bytesEqual(canonical, line)) {
    throw new CeremonyError('BUNDLE_MALFORMED', 'the manifest is not in canonical form (keys sorted, no whitespace)', { path: '$' });
  }
  if (opts.expectKind && manifest.kind !== opts.expectKind) {
    throw new CeremonyError('BUNDLE_KIND_UNEXPECTED', `${source} is a ${manifest.kind} bundle; a ${opts.expectKind} is needed here`, { path: '$.kind' });
  }
  const files: NamedBytes[] = [];
  let at = end + 1;
  for (const f of manifest.files) {
    if (at + f.length > bytes.length) {
      throw new CeremonyError('BUNDLE_TRUNCATED', `${source} ends inside ${f.name} (${bytes.length - at} of ${f.length} bytes present)`, { path: f.name });
    }
    const body = bytes.subarray(at, at + f.length);
    if (sha256Hex(body) !== f.sha256) {
      throw new CeremonyError('BUNDLE_MANIFEST_MISMATCH', `${f.name}: the bytes at its place in the bundle do not have the SHA-256 (or length) the manifest states`, { path: f.name });
    }
    files.push({ name: f.name, bytes: body });
    at += f.length;
  }
  if (at !== bytes.length) {
    throw new CeremonyError('BUNDLE_TRAILING_BYTES', `${source} has ${bytes.length - at} bytes after its last file`, { path: source });
  }
  const hash = checkedSha256 !== undefined ? shortDigest(checkedSha256) : shortDigestOf(bytes);
  const decoded: DecodedBundle = { kind: manifest.kind, profile: manifest.profile, repository: manifest.repository, created: manifest.created, files, manifest, hash };
  checkedFiles.set(
    decoded,
    files.map((f, i) => ({ bytes: f.bytes, sha256: manifest.files[i]!.sha256 })),
  );
  return decoded;
}

/** A trust bundle's files as a repository (the same classification a metadata directory gets). */
export function bundleRepositoryFiles(bundle: DecodedBundle, caps: SizeCaps = DEFAULT_CAPS): RepositoryFiles {
  if (bundle.kind !== 'trust-bundle') throw new CeremonyError('BUNDLE_KIND_UNEXPECTED', `a ${bundle.kind} bundle holds no repository; a trust-bundle is needed here`, { path: '$.kind' });
  return classifyRepositoryFiles(bundle.files, caps);
}

/** UTC whole seconds, the form `created` takes. */
export function bundleTime(date: Date): string {
  return date.toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
}
