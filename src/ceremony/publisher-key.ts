/**
 * A publisher's targets public key, brought to the ceremony as a file (plan `targets.publishers[i]`): a
 * PEM `PUBLIC KEY` block (SubjectPublicKeyInfo), optionally with RFC 1421 header lines before the body —
 * what `notary key generate ecdsa --role targets -o NAME` writes as NAME.pem:
 *
 * ```
 * -----BEGIN PUBLIC KEY-----
 * role: targets
 *
 * MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…
 * -----END PUBLIC KEY-----
 * ```
 *
 * and what `openssl pkey -pubout` writes (no headers). Read strictly: the bytes must have the SHA-256 the
 * reviewed plan records, the file holds exactly one block, a `role` header (if any) must say `targets`,
 * and the key must be one the profile lists. A private key handed over by mistake is refused without a
 * word of its content — and the refusal says so, because it must now be treated as exposed.
 *
 * Written here rather than with a PEM package: the headers are notary's own, and the checks are the
 * point; decoding the body goes through crypto/public-key.ts like every other key.
 */
import { CeremonyError } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import { spkiFromPem } from '../crypto/public-key.js';
import type { ProfileName } from '../profiles/profile.js';
import { listPublicKey, type ListedKey } from '../signers/public-key-json.js';

export const PUBLISHER_KEY_MAX_BYTES = 16 * 1024;

export interface PublisherKey extends ListedKey {
  spki: Uint8Array;
  sha256: string;
}

const HEADER = /^([A-Za-z][A-Za-z0-9-]{0,63}):[ \t]*([\x20-\x7e]{0,256})$/;

/**
 * The preamble every key file the plan pins by hash goes through (publisher keys here, notary-server keys
 * in server-key.ts): the size cap before anything else — nothing is hashed or decoded beyond it — then a
 * private key handed over by mistake (`privateKey` says whether the bytes hold one; checked before the
 * hash, so the refusal names the security event whatever file the plan recorded), then the plan's SHA-256.
 * Returns the bytes' SHA-256.
 */
export function checkPlannedKeyFile(bytes: Uint8Array, source: string, opts: { what: string; maxBytes: number; expectedSha256?: string | undefined; privateKey: (bytes: Uint8Array) => boolean; privateHint?: string }): string {
  if (bytes.length > opts.maxBytes) throw new CeremonyError('INPUT_TOO_LARGE', `${source} is ${bytes.length} bytes; a ${opts.what} file is at most ${opts.maxBytes}`, { path: source });
  if (opts.privateKey(bytes)) {
    throw new CeremonyError('KEY_FILE_PRIVATE', `${source} holds a PRIVATE key: refused unread. The ceremony takes the ${opts.what} as a public key only${opts.privateHint ?? ''}. Treat that private key as exposed to whoever handled this file`, {
      path: source,
    });
  }
  const sha256 = sha256Hex(bytes);
  if (opts.expectedSha256 !== undefined && sha256 !== opts.expectedSha256) {
    throw new CeremonyError(
      'PLAN_INPUT_MISMATCH',
      `${source} has SHA-256 ${sha256.slice(0, 16)}…, not the ${opts.expectedSha256.slice(0, 16)}… the reviewed plan records: it is not the ${opts.what} that was reviewed`,
      { path: source },
    );
  }
  return sha256;
}

/** Any PEM private-key block (PKCS#8, SEC1 "EC PRIVATE KEY", encrypted, OpenSSH…), found without decoding the file as UTF-8. */
const PEM_PRIVATE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Parse a publisher's key file; `source` names it in messages, `expectedSha256` is the plan's record. */
export function parsePublisherKey(bytes: Uint8Array, source: string, profile: ProfileName, expectedSha256?: string): PublisherKey {
  // Before anything else (after the cap): a private key must not be read, echoed or kept.
  const sha256 = checkPlannedKeyFile(bytes, source, {
    what: 'publisher key',
    maxBytes: PUBLISHER_KEY_MAX_BYTES,
    expectedSha256,
    privateKey: (b) => PEM_PRIVATE.test(new TextDecoder('latin1').decode(b)),
    privateHint: ' (NAME.pem from "notary key generate … -o NAME", not NAME-key.pem)',
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} is not a text file: expected a PEM "PUBLIC KEY" block`, { path: source });
  }
  const lines = text.replace(/\r\n/g, '\n').trim().split('\n');
  if (lines[0] !== '-----BEGIN PUBLIC KEY-----' || lines[lines.length - 1] !== '-----END PUBLIC KEY-----' || lines.filter((l) => l.startsWith('-----')).length !== 2) {
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} is not one PEM "PUBLIC KEY" block`, { path: source });
  }
  // RFC 1421 headers: `Name: value` lines, then one empty line, then the base64 body.
  let i = 1;
  const headers = new Map<string, string>();
  if (lines.slice(1, -1).some((l) => l === '')) {
    for (; lines[i] !== ''; i++) {
      const m = HEADER.exec(lines[i]!);
      if (!m) throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source}: line ${i + 1} is neither a PEM header ("role: targets") nor base64`, { path: source });
      headers.set(m[1]!.toLowerCase(), m[2]!.trim());
    }
    i++;
  }
  const role = headers.get('role');
  if (role !== undefined && role !== 'targets') {
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} is a ${JSON.stringify(role)} key (its PEM header says so), not a targets key`, { path: source });
  }
  const body = ['-----BEGIN PUBLIC KEY-----', ...lines.slice(i, -1), '-----END PUBLIC KEY-----'].join('\n');
  let spki: Uint8Array;
  let listed: ListedKey;
  try {
    spki = spkiFromPem(body, source);
    listed = listPublicKey(profile, spki);
  } catch (err) {
    const why = err instanceof CeremonyError ? `: ${err.message}` : '';
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source} does not hold a public key this ${profile} repository can list${why}`, { path: source, cause: err });
  }
  return { ...listed, spki, sha256 };
}
