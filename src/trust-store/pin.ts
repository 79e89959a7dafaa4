/**
 * Which root an import trusts once a root is installed (issue #12 point 1; TUF 5.3: a client updates
 * from the root it holds, never from an older one).
 *
 * The operator pins a root (`--root FILE`, `--root-fingerprint`, the Import screen's pin) — typically the
 * very same file every time, so the pin is often OLDER than what the trust directory holds. Verifying from
 * that older pin would let keys the installed root removed (lost or compromised keys) sign a fork of the
 * next version and take the site back: the installed root would contribute only a version number. So,
 * with a root installed, the installed root's exact bytes are the trust anchor, and the pin must agree:
 *
 *   pin = installed (byte for byte)      → the installed root;
 *   pin older than installed             → walk the input's root chain from the pin, one version at a time
 *                                          (TUF 5.3.4 at each step), up to the installed version: the root
 *                                          reached must BE the installed root, byte for byte; then verify
 *                                          from the installed root (IMPORT_PIN_BEHIND_INSTALLED otherwise);
 *   pin of the installed version, other bytes, or newer than installed and not reached from the installed
 *   root through the input's chain       → IMPORT_PIN_CONFLICTS_INSTALLED.
 *
 * Nothing installed: the pin is the anchor (as before).
 */
import { CeremonyError, isCeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import type { Root } from '../tuf/root.js';
import { verifyRootSelf, walkRootChain } from '../tuf/root-chain.js';
import { requireVerified } from '../tuf/verify.js';

/** The bytes of root version v in the input: `N.root.json`, else `root.json` when it is that version. */
function rootAtIn(files: RepositoryFiles, maxBytes: number): (v: number) => { bytes: Uint8Array; source: string } | undefined {
  let rootJsonVersion: number | undefined;
  return (v) => {
    const versioned = files.versionedRoots.get(v);
    if (versioned) return { bytes: versioned, source: `${v}.root.json` };
    if (!files.root) return undefined;
    rootJsonVersion ??= parseMetadata(files.root, 'root', { maxBytes, source: 'root.json' }).signed.version;
    return rootJsonVersion === v ? { bytes: files.root, source: 'root.json' } : undefined;
  };
}

function why(err: unknown): string {
  return isCeremonyError(err) ? `[${err.code}] ${err.message}` : 'the chain could not be read';
}

/**
 * Decide the trust anchor of an import (see the file comment): the bytes verification starts from — the
 * installed root when there is one, else the pin. `pin` is the operator's pinned root (by file, or the root
 * a fingerprint found), `installed` the installed root.json as parsed from the trust folder. The input is
 * passed on whole: its versions up to the installed one are the installed root's history, which the
 * verifier reads as such.
 */
export function resolveTrustAnchor(pin: Uint8Array, installed: Metadata<Root> | undefined, files: RepositoryFiles, maxRootBytes: number): Uint8Array {
  if (!installed || bytesEqual(pin, installed.bytes)) return installed?.bytes ?? pin;
  const pinned = parseMetadata(pin, 'root', { maxBytes: maxRootBytes, source: 'pinned root' });
  requireVerified(verifyRootSelf(pinned), 'pinned root');
  const have = installed.signed.version;
  const want = pinned.signed.version;
  const rootAt = rootAtIn(files, maxRootBytes);

  if (want < have) {
    let reached: Metadata<Root>;
    try {
      if (pinned.profile.name !== installed.profile.name) throw new CeremonyError('ROOT_CHAIN_BROKEN', `the pinned root is ${pinned.profile.name} metadata, the installed root ${installed.profile.name}`);
      reached = walkRootChain(pinned, have, rootAt, maxRootBytes).root;
    } catch (err) {
      throw new CeremonyError(
        'IMPORT_PIN_BEHIND_INSTALLED',
        `the pinned root is version ${want}, older than the installed root version ${have}, and the input's root chain from it does not reach the installed root: ${why(err)}. Nothing was changed; pin the installed root (or import without a pin: the installed root is the trust)`,
        { path: 'root.json', cause: err },
      );
    }
    if (!bytesEqual(reached.bytes, installed.bytes)) {
      throw new CeremonyError(
        'IMPORT_PIN_BEHIND_INSTALLED',
        `the pinned root is version ${want}, older than the installed root version ${have}; the input's chain from it reaches a root version ${have} (${reached.source}) that is NOT the installed one — a fork signed by keys the installed root may have removed. Nothing was changed`,
        { path: reached.source },
      );
    }
    return installed.bytes;
  }

  if (want === have) {
    throw new CeremonyError('IMPORT_PIN_CONFLICTS_INSTALLED', `the pinned root is version ${want}, the version installed, but not the installed file: they are two different roots of one version (a fork). Nothing was changed`, { path: 'root.json' });
  }
  // A pin newer than the installed root: it must be the root the installed one reaches through the input.
  let reached: Metadata<Root>;
  try {
    reached = walkRootChain(installed, want, rootAt, maxRootBytes).root;
  } catch (err) {
    throw new CeremonyError('IMPORT_PIN_CONFLICTS_INSTALLED', `the pinned root is version ${want}, newer than the installed root version ${have}, but the input's root chain from the installed root does not reach it: ${why(err)}. Nothing was changed`, {
      path: 'root.json',
      cause: err,
    });
  }
  if (!bytesEqual(reached.bytes, pin)) {
    throw new CeremonyError('IMPORT_PIN_CONFLICTS_INSTALLED', `the input's root chain from the installed root version ${have} reaches a root version ${want} (${reached.source}) that is not the pinned file. Nothing was changed`, { path: reached.source });
  }
  return installed.bytes;
}
