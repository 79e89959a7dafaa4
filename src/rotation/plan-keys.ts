/**
 * Public key files a rotation plan names (plan.ts): the new keys of a rotation arrive as files, never as
 * key material typed into the plan. Accepted, each checked against the SHA-256 the plan records first:
 *
 * - the key JSON `tuf-ceremony tokens export` writes (the key object as the profile lists it in root.json:
 *   TUF `{"keytype","scheme","keyval":{"public"}}`, Notary `{"keytype","keyval":{"private":null,"public"}}`,
 *   Notary root keys as `ecdsa-x509` with their certificate — `tokens export --profile notary --gun GUN`);
 * - the key file notary-server serves (`GET /v2/<GUN>/_trust/tuf/timestamp.key`, `…/snapshot.key`), which
 *   is the same Notary key object with another key order;
 * - a PEM `PUBLIC KEY` (TUF keys; Notary targets / snapshot / timestamp keys);
 * - a PEM `CERTIFICATE` (Notary root keys and Notary delegation keys — `notary delegation add` lists a
 *   delegate's certificate as `ecdsa-x509` — one leaf, re-written as Go writes PEM (64-column lines, LF,
 *   as openssl writes them too) so the key ID is the one Notary computes for it).
 *
 * Every refusal is PLAN_INPUT_MISMATCH naming the file and, inside a JSON file, the JSON path. The key is
 * decoded by the profile exactly as a verifier will decode it (profile.parseKey), into new objects.
 */
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import { pemOf, spkiFromPem } from '../crypto/public-key.js';
import { child } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName, PublicKey } from '../profiles/profile.js';
import { parseCertificatePem } from '../profiles/x509.js';
import { listPublicKey } from '../signers/public-key-json.js';
import { StrictReader } from '../ceremony/read.js';

/** A public key file is a few kilobytes (a certificate PEM is the largest). */
export const KEY_FILE_MAX_BYTES = 64 * 1024;

/** `delegation`: a key a delegated role (Notary `targets/releases`) lists in targets.json. */
export type PlanKeyRole = 'root' | 'targets' | 'snapshot' | 'timestamp' | 'delegation';

export interface PlanKeyFileOptions {
  profile: ProfileName;
  role: PlanKeyRole;
  /** Notary: the GUN every root certificate must name (CN). */
  repository: string;
  /** The file name, for messages. */
  source: string;
  /** The SHA-256 the plan records for the file (64 lower-case hex). */
  sha256: string;
  /** Where the plan names the file (`$.root.add[0]`): the path of refusals about the file as a whole. */
  planPath?: string;
}

export interface PlanKey {
  /** The key object as the new root lists it. */
  json: JsonObject;
  keyId: string;
  key: PublicKey;
}

const r: StrictReader = new StrictReader('PLAN_INPUT_MISMATCH');

function mismatch(source: string, message: string, path: string, cause?: unknown): never {
  throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source}: ${message}`, { path, cause });
}

/** Re-throw a profile's KEY_* refusal as an input refusal naming the file (the cause keeps the original). */
function asInput<T>(source: string, at: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isCeremonyError(err) && err.code !== 'PLAN_INPUT_MISMATCH') {
      const inner = err.path && err.path.startsWith(source) ? err.path : at;
      mismatch(source, messageWithoutPath(err), inner, err);
    }
    throw err;
  }
}

function fromJson(bytes: Uint8Array, o: PlanKeyFileOptions): JsonObject {
  const path = `${o.source} $`;
  let value;
  try {
    value = parseJsonStrict(bytes, { maxBytes: KEY_FILE_MAX_BYTES, path, maxDepth: 4 });
  } catch (err) {
    mismatch(o.source, `not a public key file (JSON key object, PEM public key or PEM certificate): ${isCeremonyError(err) ? messageWithoutPath(err) : 'unreadable'}`, o.planPath ? `${o.planPath}.keyFile` : path, err);
  }
  const obj = r.object(value, path, ['keytype', 'keyval'], o.profile === 'tuf' ? ['scheme'] : []);
  const keytype = r.text(obj.keytype, child(path, 'keytype'), 32);
  const kvPath = child(path, 'keyval');
  const kv = r.object(obj.keyval, kvPath, ['public'], ['private']);
  if (kv.private !== undefined && kv.private !== null) r.fail(child(kvPath, 'private'), 'a public key file must not carry a private key ("private": null or absent)');
  const pub = r.text(kv.public, child(kvPath, 'public'), 16 * 1024);
  // Into new objects, in the form the profile lists keys (TUF: no "private"; Notary: "private": null).
  if (o.profile === 'tuf') return { keytype, scheme: r.text(obj.scheme, child(path, 'scheme'), 64), keyval: { public: pub } };
  return { keytype, keyval: { private: null, public: pub } };
}

/** Parse one public key file of the plan for `role`. */
export function parsePlanKeyFile(bytes: Uint8Array, o: PlanKeyFileOptions): PlanKey {
  // Refusals about the file as a whole name the plan's entry when known, else the file.
  const at = o.planPath ? `${o.planPath}.keyFile` : o.source;
  const sha256 = sha256Hex(bytes);
  if (sha256 !== o.sha256) {
    mismatch(o.source, `its SHA-256 is ${sha256.slice(0, 16)}…, not the ${o.sha256.slice(0, 16)}… the plan records: it is not the key file that was reviewed`, o.planPath ? `${o.planPath}.sha256` : o.source);
  }
  if (bytes.length > KEY_FILE_MAX_BYTES) mismatch(o.source, `${bytes.length} bytes is over the cap of ${KEY_FILE_MAX_BYTES} for a public key file`, at);
  const profile = getProfile(o.profile);
  const notaryRoot = o.profile === 'notary' && o.role === 'root';
  const certAllowed = o.profile === 'notary' && (o.role === 'root' || o.role === 'delegation');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const head = text.trimStart();
  let json: JsonObject;
  if (head.startsWith('-----BEGIN CERTIFICATE-----')) {
    if (!certAllowed) mismatch(o.source, `a certificate is a Notary root or delegation key; a ${o.profile === 'tuf' ? 'TUF' : 'Notary'} ${o.role} key is a bare public key (PEM PUBLIC KEY or the key JSON tokens export writes)`, at);
    // One self-signed leaf: a chain would be cut to its first certificate, so it is refused instead.
    if (text.split('-----BEGIN CERTIFICATE-----').length !== 2) mismatch(o.source, 'expected exactly one certificate (the self-signed leaf), not a chain', at);
    const cert = asInput(o.source, at, () => parseCertificatePem(text, o.source));
    // Written back as Go writes PEM (64 columns, LF, trailing LF): the bytes Notary hashes for the key ID.
    const pem = pemOf('CERTIFICATE', cert.der);
    json = asInput(o.source, at, () => listPublicKey('notary', cert.spki, { certificatePem: pem })).json;
  } else if (head.startsWith('-----BEGIN')) {
    if (notaryRoot) mismatch(o.source, 'Notary root keys are ecdsa-x509 certificates (CN = the GUN): give the certificate, or the key JSON `tokens export --profile notary --gun GUN` writes', at);
    const spki = asInput(o.source, at, () => spkiFromPem(text, o.source));
    json = asInput(o.source, at, () => listPublicKey(o.profile, spki)).json;
  } else {
    json = fromJson(bytes, o);
  }
  const key = asInput(o.source, at, () => profile.parseKey(json, `${o.source} $`));
  if (notaryRoot) {
    const cert = key.certificate;
    if (!cert) mismatch(o.source, `Notary root keys are ecdsa-x509 certificates (CN = the GUN), not ${key.keytype} keys: export it with \`tokens export --profile notary --gun ${o.repository}\``, at);
    // What notary's client demands of root certificates (tuf/notary-root.ts), checked at review, not after signing.
    if (cert.isCA) mismatch(o.source, `the certificate "${cert.subjectCN}" is a CA certificate; Notary needs a leaf (CA:FALSE)`, at);
    if (cert.subjectCN !== o.repository) mismatch(o.source, `the certificate names "${cert.subjectCN}", not the repository "${o.repository}"`, at);
    if (/sha-?1/i.test(cert.signatureHash)) mismatch(o.source, `the certificate "${cert.subjectCN}" is signed with SHA-1`, at);
  } else if (key.certificate && o.role !== 'delegation') {
    mismatch(o.source, `a Notary ${o.role} key is a bare key (ecdsa, ed25519), not a certificate`, at);
  }
  return { json, keyId: profile.keyId(json), key };
}
