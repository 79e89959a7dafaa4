/**
 * Export of a bundle across the air gap (PRODUCT.md §2.5): shared by `tuf-ceremony bundle create` and the
 * app's Export screen. Pure: the file system is injected (src/io/bundle-file.ts gives node's).
 *
 * - A metadata directory becomes a trust bundle only after it verifies (src/tuf/repository.ts, TUF
 *   5.3–5.6) from its own oldest root — the same anchor the Inspect screen uses without a pin — so an
 *   invalid repository is refused with its code before anything is written or played as QR.
 * - An existing bundle is decoded (src/bundle/format.ts: caps, canonical manifest, every file's length and
 *   SHA-256) and its content checked for its kind before it is exported again.
 * - Writing: atomic (temp + fsync + link, never over an existing name), then the file is read back,
 *   compared byte for byte, decoded again and compared with the bundle that was meant.
 * - Animated QR: a window of the endless fountain-coded frame stream (src/transport/qr/encoder.ts), each
 *   frame also as its QR module matrix packed in bits for a player that draws it at any size.
 */
import { CeremonyError } from '../errors.js';
import { ATTESTATIONS_FILE } from '../attestation/attestations-name.js';
import { decodeAttestations } from '../attestation/attestations-file.js';
import { decodeRepositorySet } from './set.js';
import type { ShortDigest } from '../crypto/digest-words.js';
import { writeFileVerified, type VerifiedWriteFs } from '../io/files.js';
import type { ProfileName } from '../profiles/profile.js';
import { readSignatureResponse, readSigningRequest, wrapSigningRequest } from '../rotation/bundle.js';
import { documentFormatOf, SIGNING_REQUEST_FORMAT } from '../rotation/request.js';
import { encodeQrFrames, QR_DEFAULT_FRAGMENT_BYTES } from '../transport/qr/encoder.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata } from '../tuf/metadata.js';
import { checkNotaryRootCertificates } from '../tuf/notary-root.js';
import { verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../tuf/repository.js';
import type { NamedBytes } from '../tuf/repository-files.js';
import { bundleRepositoryFiles, bundleTime, decodeBundle, encodeBundle, looksLikeBundle, type BundleKind, type DecodedBundle } from './format.js';

/** The suffix of bundle files (what `qr decode` and the import screen offer first). */
export const BUNDLE_FILE_SUFFIX = '.tufbundle';

/** The file names a repository directory would hold for `files`. */
export function repositoryFileNames(files: RepositoryFiles): NamedBytes[] {
  const out: NamedBytes[] = [];
  for (const [v, bytes] of files.versionedRoots) out.push({ name: `${v}.root.json`, bytes });
  for (const role of ['root', 'timestamp', 'snapshot', 'targets'] as const) {
    const bytes = files[role];
    if (bytes) out.push({ name: `${role}.json`, bytes });
  }
  for (const [role, bytes] of files.delegated) out.push({ name: `${role}.json`, bytes });
  if (files.attestations) out.push({ name: ATTESTATIONS_FILE, bytes: files.attestations });
  return out;
}

/** The root a repository is verified from when no pin is given: its oldest versioned root, else root.json. */
export function oldestRoot(files: RepositoryFiles): Uint8Array | undefined {
  const versions = [...files.versionedRoots.keys()];
  return versions.length ? files.versionedRoots.get(Math.min(...versions)) : files.root;
}

/**
 * Verify `files` completely from their own oldest root (TUF 5.3 root chain, then 5.4–5.6 timestamp,
 * snapshot, targets and delegations, expiry by `now`). Throws the first refusal with its code.
 */
export function verifyForExport(files: RepositoryFiles, opts: { now: Date; gun?: string }): VerifiedRepository {
  const anchor = oldestRoot(files);
  if (!anchor) throw new CeremonyError('META_MISSING', 'the repository holds no root.json', { path: 'root.json' });
  return verifyRepository(files, { trustedRoot: anchor, now: opts.now, ...(opts.gun ? { gun: opts.gun } : {}) });
}

export interface TrustBundleOptions {
  now: Date;
  /** Notary: the repository (default: the one the root certificates name). */
  gun?: string;
  /** TUF: the repository name to record (metadata does not name it). */
  name?: string;
}

export interface PreparedExport {
  bytes: Uint8Array;
  bundle: DecodedBundle;
  /** Trust bundles: the verification that allowed the export. */
  verified?: VerifiedRepository;
}

/** A verified metadata directory as a trust bundle (refused, with the verifier's code, when it does not verify). */
export function trustBundleFromRepository(files: RepositoryFiles, opts: TrustBundleOptions): PreparedExport {
  const verified = verifyForExport(files, opts);
  // attestations.json rides along only if it is one (schema, size, certificates that parse); its chains are
  // checked where it is trusted — verify, import, inspect — against the roots the site chooses.
  if (files.attestations) decodeAttestations(files.attestations);
  const profile: ProfileName = verified.profile;
  let repository: string;
  if (profile === 'notary') repository = opts.gun ?? checkNotaryRootCertificates(verified.root, opts.now, opts.gun);
  else {
    if (!opts.name) throw new CeremonyError('USAGE', 'a TUF repository needs a name to record in the bundle');
    repository = opts.name;
  }
  const bytes = encodeBundle({ kind: 'trust-bundle', profile, repository, created: bundleTime(opts.now), files: repositoryFileNames(files) });
  return { bytes, bundle: decodeBundle(bytes), verified };
}

/**
 * An existing bundle file, decoded and checked for its kind before it is exported again: a trust bundle's
 * repository must verify (as above); a signing request or signature response must unwrap as one
 * (src/rotation/bundle.ts: exactly its one document, strictly parsed, the manifest's profile and
 * repository the request's). A plain signing-request document (what the rotation flow writes) is
 * wrapped into its bundle. Share cards are secret and printed, never exported (BUNDLE_KIND_UNEXPECTED).
 */
export function checkBundleForExport(bytes: Uint8Array, opts: { now: Date; source?: string }): PreparedExport {
  const source = opts.source ?? 'bundle';
  if (!looksLikeBundle(bytes) && documentFormatOf(bytes) === SIGNING_REQUEST_FORMAT) {
    const wrapped = wrapSigningRequest(readSigningRequest(bytes, source).request, opts.now);
    return { bytes: wrapped, bundle: decodeBundle(wrapped, { source }) };
  }
  const bundle = decodeBundle(bytes, { source });
  switch (bundle.kind) {
    case 'trust-bundle': {
      const verified = verifyForExport(bundleRepositoryFiles(bundle), { now: opts.now, ...(bundle.profile === 'notary' ? { gun: bundle.repository } : {}) });
      if (verified.profile !== bundle.profile) {
        throw new CeremonyError('BUNDLE_CONTENT_INVALID', `${source} says profile ${bundle.profile} but holds ${verified.profile} metadata`, { path: '$.profile' });
      }
      return { bytes, bundle, verified };
    }
    case 'signing-request':
      readSigningRequest(bytes, source);
      return { bytes, bundle };
    case 'signature-response':
      readSignatureResponse(bytes, source, { profile: bundle.profile, repository: bundle.repository });
      return { bytes, bundle };
    case 'trust-bundle-set': {
      // Every repository of the set verified as a single trust bundle is (issue #17).
      for (const inner of decodeRepositorySet(bytes, source).repositories) {
        const verified = verifyForExport(bundleRepositoryFiles(inner), { now: opts.now, ...(inner.profile === 'notary' ? { gun: inner.repository } : {}) });
        if (verified.profile !== inner.profile) throw new CeremonyError('BUNDLE_CONTENT_INVALID', `${source}: ${inner.repository} says profile ${inner.profile} but holds ${verified.profile} metadata`, { path: '$.profile' });
      }
      return { bytes, bundle };
    }
    default:
      throw new CeremonyError('BUNDLE_KIND_UNEXPECTED', `${source} is a ${bundle.kind} bundle: share cards are secret and printed, never exported`, { path: '$.kind' });
  }
}

/** A file-system-safe slug of a repository name: `registry.example.com/org/app` → `registry.example.com-org-app`. */
/**
 * Whether Windows reads `name` as a device (CON, PRN, AUX, NUL, COM1–9, LPT1–9, also with ¹²³, any case):
 * what matters is the part before the first dot, trailing spaces dropped — `nul.tar.gz` is NUL too
 * (Microsoft, "Naming Files, Paths, and Namespaces"). A bundle file on a USB stick may be opened there.
 */
export function isWindowsDeviceName(name: string): boolean {
  return /^(?:con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])$/i.test(name.split('.')[0]!.replace(/ +$/, ''));
}

function slug(text: string): string {
  const s = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/-+$/, '')
    .slice(0, 120);
  // `con.example.com/app` would make `con.example.com-app-….tufbundle`: a device name on Windows.
  return !s ? 'repository' : isWindowsDeviceName(s) ? `repository-${s}` : s;
}

/** The name proposed for a bundle: `<repository>-<kind>-<first 8 hex of its hash>.tufbundle`. */
export function suggestedBundleName(bundle: Pick<DecodedBundle, 'repository' | 'kind' | 'hash'>): string {
  return `${slug(bundle.repository)}-${bundle.kind}-${bundle.hash.hex.slice(0, 8)}${BUNDLE_FILE_SUFFIX}`;
}

/**
 * `name` if it is free in the folder, else the first free `stem-2.ext`, `stem-3.ext`, … (outputs never
 * overwrite, so a second export of the same bundle gets a name of its own).
 */
export async function freshName(name: string, exists: (name: string) => Promise<boolean>, limit = 1000): Promise<string> {
  if (!(await exists(name))) return name;
  const dot = name.endsWith(BUNDLE_FILE_SUFFIX) ? name.length - BUNDLE_FILE_SUFFIX.length : name.lastIndexOf('.') > 0 ? name.lastIndexOf('.') : name.length;
  const stem = name.slice(0, dot);
  const ext = name.slice(dot);
  for (let i = 2; i <= limit; i++) {
    const candidate = `${stem}-${i}${ext}`;
    if (!(await exists(candidate))) return candidate;
  }
  throw new CeremonyError('OUTPUT_EXISTS', `${name} and ${limit - 1} numbered variants already exist in this folder`, { path: name });
}

/**
 * The file-system calls an export needs (src/io/bundle-file.ts nodeBundleFs; tests inject faults):
 * writeFileAtomic (temp file + fsync + link + fsync of the folder; OUTPUT_EXISTS, never overwrites) and
 * readFileCapped (INPUT_TOO_LARGE beyond the cap) — what writeFileVerified needs.
 */
export type BundleFs = VerifiedWriteFs;

export interface WrittenBundle {
  path: string;
  bytes: number;
  hash: ShortDigest;
  bundle: DecodedBundle;
}

/**
 * Write `bytes` to `path` atomically and never over an existing file, read the file back, and prove the
 * medium holds what was meant: the same bytes, which decode to the same manifest. Returns the short hash
 * (hex and words) to read aloud. BUNDLE_WRITE_VERIFY_FAILED when the copy differs (the copy is left for
 * inspection, never used silently).
 */
export async function writeBundleVerified(path: string, bytes: Uint8Array, fs: BundleFs): Promise<WrittenBundle> {
  // Decoded before writing: nothing is written that import would refuse.
  const meant = decodeBundle(bytes, { source: 'the bundle to write' });
  // Written, read back capped and compared byte for byte: the one verified write (src/io/files.ts).
  const back = await writeFileVerified(path, bytes, fs);
  let again: DecodedBundle;
  try {
    again = decodeBundle(back, { source: 'the copy read back' });
  } catch (err) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', 'the bundle read back from the medium does not decode; do not use this copy', { path, cause: err });
  }
  if (again.hash.sha256 !== meant.hash.sha256 || JSON.stringify(again.manifest) !== JSON.stringify(meant.manifest)) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', 'the bundle read back from the medium is not the bundle that was meant; do not use this copy', { path });
  }
  return { path, bytes: back.length, hash: again.hash, bundle: again };
}

/** The summary people check before exporting: what, for which repository, which files, which hash. */
export interface BundleSummary {
  kind: BundleKind;
  profile: ProfileName;
  repository: string;
  created: string;
  bytes: number;
  files: { name: string; length: number; sha256: string }[];
  hash: ShortDigest;
}

export function summarizeBundle(bundle: DecodedBundle, bytes: number): BundleSummary {
  return {
    kind: bundle.kind,
    profile: bundle.profile,
    repository: bundle.repository,
    created: bundle.created,
    bytes,
    files: bundle.manifest.files.map((f) => ({ name: f.name, length: f.length, sha256: f.sha256 })),
    hash: bundle.hash,
  };
}

// --- animated QR frames for a player ------------------------------------------------------------------

/** A QR code's modules: `size`×`size`, `dark(x, y)` true for a dark module (src/io/qr-images.ts qrModules). */
export type QrModulesOf = (text: string) => { size: number; dark: (x: number, y: number) => boolean };

export interface QrFrame {
  /** Position in the display order (0-based), endless: frame i is the same whenever it is asked for. */
  index: number;
  /** The UR text the frame holds (upper case). */
  text: string;
  /** Modules per side, without the quiet zone. */
  size: number;
  /** The modules row by row, 1 bit each (dark = 1), most significant bit first, padded to whole bytes; base64. */
  modules: string;
}

export interface QrFrameWindow {
  /** Fragments of the bundle: the ideal number of frames with no loss. */
  seqLen: number;
  fragmentLength: number;
  first: number;
  frames: QrFrame[];
}

/** Most frames one window may hold (about 10 s at the fastest rate). */
export const QR_WINDOW_MAX_FRAMES = 120;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += B64[a >> 2]! + B64[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? '=' : B64[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    out += c === undefined ? '=' : B64[c & 63]!;
  }
  return out;
}

/** Pack a module matrix row by row into bits (MSB first), base64. */
export function packModules(size: number, dark: (x: number, y: number) => boolean): string {
  const bits = new Uint8Array(Math.ceil((size * size) / 8));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!dark(x, y)) continue;
      const i = y * size + x;
      bits[i >> 3]! |= 0x80 >> (i & 7);
    }
  }
  return base64(bits);
}

/**
 * Frames `first` … `first + count - 1` of the bundle's animated QR stream, with the fragment size the
 * transport chose for laptop webcams (QR_DEFAULT_FRAGMENT_BYTES: version-15 codes at level L) and the
 * mixed fountain schedule `qr encode` uses, so a receiver that missed frames keeps learning from the next.
 */
export function qrFrameWindow(bundle: Uint8Array, first: number, count: number, modulesOf: QrModulesOf): QrFrameWindow {
  if (!Number.isSafeInteger(count) || count < 1 || count > QR_WINDOW_MAX_FRAMES) throw new CeremonyError('USAGE', `a frame window holds 1 to ${QR_WINDOW_MAX_FRAMES} frames`);
  const enc = encodeQrFrames(bundle, { fragmentBytes: QR_DEFAULT_FRAGMENT_BYTES, first, count, schedule: 'mixed' });
  const frames = enc.parts.map((text, i): QrFrame => {
    const m = modulesOf(text);
    return { index: first + i, text, size: m.size, modules: packModules(m.size, m.dark) };
  });
  return { seqLen: enc.seqLen, fragmentLength: enc.fragmentLength, first, frames };
}

/** For `bundle create`: a verified repository read from a directory, as a trust bundle (TUF: named after the folder). */
export function trustBundleForDirectory(files: RepositoryFiles, opts: TrustBundleOptions & { folderName: string }): PreparedExport {
  // Check the root parses before the verifier's messages (which name the trusted root) would confuse.
  const newest = files.root ?? files.versionedRoots.get(Math.max(0, ...files.versionedRoots.keys()));
  if (!newest) throw new CeremonyError('META_MISSING', `${opts.folderName} holds no root.json`, { path: 'root.json' });
  parseMetadata(newest, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' });
  return trustBundleFromRepository(files, { now: opts.now, ...(opts.gun ? { gun: opts.gun } : {}), name: opts.name ?? opts.folderName });
}
