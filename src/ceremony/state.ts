/**
 * What a root ceremony keeps between steps so an interrupted ceremony resumes where it stopped: only
 * public facts — token serials, key labels, fingerprints and key IDs, the public certificates of Notary
 * root keys, hashes of what was built, the signatures collected (public by nature), hashes of the files
 * written, and each step's status. Never a PIN, a share or a private key: a key generated on a token is
 * found again on the token by its label and recorded fingerprint; a software key of a rehearsal is never
 * kept, so a rehearsal does not resume.
 *
 * The state is one JSON file next to the outputs (`ceremony-state.json`), replaced atomically after every
 * change (write to a temporary file, fsync, rename): the only file in the output folder that is ever
 * rewritten — it is the machine's journal, not an output. It is read back as strictly as a plan
 * (CEREMONY_STATE_INVALID with the JSON path), because it steers what the next run does.
 */
import { join } from 'node:path';
import { CeremonyError } from '../errors.js';
import { child, setOwn } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import type { KeyAlgorithm, ProfileName, SignatureJson } from '../profiles/profile.js';
import { readFileCapped, writeFileAtomic } from '../io/files.js';
import { StrictReader } from './read.js';

export const STATE_FILE = 'ceremony-state.json';
export const STATE_FORMAT = 'tuf-ceremony-state';
export const STATE_VERSION = 1;
const STATE_MAX_BYTES = 4 * 1024 * 1024;

export const STEP_NAMES = ['check-tokens', 'generate-keys', 'shamir-backup', 'build-metadata', 'collect-signatures', 'verify-outputs', 'write-outputs'] as const;
export type StepName = (typeof STEP_NAMES)[number];
export type StepStatus = 'started' | 'done';

export type KeyOriginKind = 'token' | 'software' | 'shamir' | 'server' | 'publisher';
export type MetadataRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

export interface KeyRecord {
  role: MetadataRole;
  origin: KeyOriginKind;
  algorithm: KeyAlgorithm;
  /** `generating`: asked of the token, not yet confirmed (an interruption here is resolved by label). */
  status: 'generating' | 'ready';
  custodian?: string;
  tokenSerial?: string;
  /** The key's CKA_LABEL on the token (a hint: some modules ignore or rewrite labels). */
  label?: string;
  /**
   * The key's CKA_ID on the token, hex, chosen and recorded before generation: with the fingerprint it is
   * how the key is found again (resume, co-signing).
   */
  tokenKeyId?: string;
  /** hex SHA-256 of the DER SubjectPublicKeyInfo. */
  fingerprint?: string;
  /** The DER SubjectPublicKeyInfo, base64 (public: it is what root.json lists). */
  spki?: string;
  /** The ID root.json lists it under (Notary root keys: the certificate's). */
  keyId?: string;
  /** Notary root keys: the self-signed certificate (public), PEM as Go writes it. */
  certificate?: string;
  /**
   * The token's proof that it generated the key, verified when recorded (YubiKey: the slot attestation
   * and the device f9 certificate, PEM; public): what attestations.json is written from.
   */
  attestation?: { kind: 'yubico-piv'; attestation: string; device: string };
}

export interface CeremonyState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  planSha256: string;
  profile: ProfileName;
  repository: string;
  rehearsal: boolean;
  started: string;
  updated: string;
  steps: Partial<Record<StepName, { status: StepStatus; at: string }>>;
  /** The token each custodian used, as first opened (a resumed ceremony must see the same ones). */
  tokens: Record<string, { serial: string; label: string }>;
  keys: Record<string, KeyRecord>;
  shamir?: { splitId: string; fingerprint: string; threshold: number; shares: number; cards: string[] };
  /** sha256 (hex) of the canonical bytes of each role's `signed`, as built. */
  signed: Partial<Record<MetadataRole, string>>;
  /** Signatures collected so far, each verified before it was recorded. */
  signatures: Partial<Record<MetadataRole, SignatureJson[]>>;
  /** Files written, by name, with their sha256. */
  outputs: Record<string, string>;
  sealed: boolean;
  /**
   * Where the transcript stood when the state was last saved (review 15e H2): its entry count (the header
   * not counted) and the hash of its last record (the header's while it has no entry). A resumed run
   * refuses a transcript that is shorter, or whose record at that place has another hash: the chain links
   * only backwards, so a transcript cut back by whole lines would otherwise verify as an interrupted one.
   * Absent only before the transcript's first entry was made durable.
   */
  transcript?: { entries: number; lastHash: string };
}

export function newState(init: { planSha256: string; profile: ProfileName; repository: string; rehearsal: boolean; now: Date }): CeremonyState {
  const at = init.now.toISOString();
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    planSha256: init.planSha256,
    profile: init.profile,
    repository: init.repository,
    rehearsal: init.rehearsal,
    started: at,
    updated: at,
    steps: {},
    tokens: {},
    keys: {},
    signed: {},
    signatures: {},
    outputs: {},
    sealed: false,
  };
}

const r: StrictReader = new StrictReader('CEREMONY_STATE_INVALID');
const ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss-sha256'] as const;
const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;

function time(value: JsonValue | undefined, path: string): string {
  const s = r.text(value, path, 40);
  if (Number.isNaN(new Date(s).getTime())) r.fail(path, 'expected an ISO 8601 time');
  return s;
}

function keyRecord(value: JsonValue | undefined, path: string): KeyRecord {
  const o = r.object(value, path, ['role', 'origin', 'algorithm', 'status'], ['custodian', 'tokenSerial', 'label', 'tokenKeyId', 'fingerprint', 'spki', 'keyId', 'certificate', 'attestation']);
  const out: KeyRecord = {
    role: r.oneOf(o.role, child(path, 'role'), ROLES),
    origin: r.oneOf(o.origin, child(path, 'origin'), ['token', 'software', 'shamir', 'server', 'publisher'] as const),
    algorithm: r.oneOf(o.algorithm, child(path, 'algorithm'), ALGORITHMS),
    status: r.oneOf(o.status, child(path, 'status'), ['generating', 'ready'] as const),
  };
  if (o.custodian !== undefined) out.custodian = r.text(o.custodian, child(path, 'custodian'), 100);
  if (o.tokenSerial !== undefined) out.tokenSerial = r.text(o.tokenSerial, child(path, 'tokenSerial'), 64);
  if (o.label !== undefined) out.label = r.text(o.label, child(path, 'label'), 64);
  if (o.tokenKeyId !== undefined) {
    if (typeof o.tokenKeyId !== 'string' || !/^(?:[0-9a-f]{2}){1,64}$/.test(o.tokenKeyId)) r.fail(child(path, 'tokenKeyId'), 'expected a CKA_ID as 1 to 64 bytes of lower-case hex');
    out.tokenKeyId = o.tokenKeyId;
  }
  if (o.fingerprint !== undefined) out.fingerprint = r.sha256(o.fingerprint, child(path, 'fingerprint'));
  if (o.spki !== undefined) {
    if (typeof o.spki !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(o.spki) || o.spki.length > 4096) r.fail(child(path, 'spki'), 'expected a public key in base64');
    out.spki = o.spki;
  }
  if (o.keyId !== undefined) out.keyId = r.sha256(o.keyId, child(path, 'keyId'));
  if (o.certificate !== undefined) {
    if (typeof o.certificate !== 'string' || !o.certificate.startsWith('-----BEGIN CERTIFICATE-----\n') || o.certificate.length > 16384) {
      r.fail(child(path, 'certificate'), 'expected a PEM certificate');
    }
    out.certificate = o.certificate;
  }
  if (o.attestation !== undefined) {
    const p = child(path, 'attestation');
    const a = r.object(o.attestation, p, ['kind', 'attestation', 'device']);
    const pem = (v: JsonValue | undefined, at: string): string => {
      if (typeof v !== 'string' || !v.startsWith('-----BEGIN CERTIFICATE-----\n') || v.length > 16384) r.fail(at, 'expected a PEM certificate');
      return v;
    };
    out.attestation = { kind: r.literal(a.kind, child(p, 'kind'), 'yubico-piv', 'a YubiKey PIV attestation'), attestation: pem(a.attestation, child(p, 'attestation')), device: pem(a.device, child(p, 'device')) };
  }
  if (out.status === 'ready' && (!out.fingerprint || !out.keyId)) r.fail(path, 'a ready key records its fingerprint and key ID');
  return out;
}

function signatures(value: JsonValue | undefined, path: string): SignatureJson[] {
  return r.array(value, path, 0, 64).map((v, i) => {
    const p = child(path, i);
    const o = r.object(v, p, ['keyid', 'sig'], ['method']);
    const sig: SignatureJson = { keyid: r.sha256(o.keyid, child(p, 'keyid')), sig: r.text(o.sig, child(p, 'sig'), 4096) };
    if (o.method !== undefined) sig.method = r.text(o.method, child(p, 'method'), 32);
    return sig;
  });
}

export function readState(value: JsonValue): CeremonyState {
  const o = r.object(
    value,
    '$',
    ['format', 'version', 'planSha256', 'profile', 'repository', 'rehearsal', 'started', 'updated', 'steps', 'tokens', 'keys', 'signed', 'signatures', 'outputs', 'sealed'],
    ['shamir', 'transcript'],
  );
  r.literal(o.format, '$.format', STATE_FORMAT, 'a tuf-ceremony state file');
  r.literal(o.version, '$.version', STATE_VERSION, 'the state format this tool writes');
  const state: CeremonyState = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    planSha256: r.sha256(o.planSha256, '$.planSha256'),
    profile: r.oneOf(o.profile, '$.profile', ['notary', 'tuf'] as const),
    repository: r.text(o.repository, '$.repository', 255),
    rehearsal: r.boolean(o.rehearsal, '$.rehearsal'),
    started: time(o.started, '$.started'),
    updated: time(o.updated, '$.updated'),
    steps: {},
    tokens: {},
    keys: {},
    signed: {},
    signatures: {},
    outputs: {},
    sealed: r.boolean(o.sealed, '$.sealed'),
  };
  const steps = r.object(o.steps, '$.steps', [], STEP_NAMES);
  for (const name of STEP_NAMES) {
    if (steps[name] === undefined) continue;
    const p = child('$.steps', name);
    const s = r.object(steps[name], p, ['status', 'at']);
    state.steps[name] = { status: r.oneOf(s.status, child(p, 'status'), ['started', 'done'] as const), at: time(s.at, child(p, 'at')) };
  }
  const tokens = r.record(o.tokens, '$.tokens', 64);
  for (const [name, v] of Object.entries(tokens)) {
    const p = child('$.tokens', name);
    const t = r.object(v, p, ['serial', 'label']);
    // setOwn: a name is the file's, and "__proto__" assigned to a plain object would set its prototype.
    setOwn(state.tokens, name, { serial: r.text(t.serial, child(p, 'serial'), 64), label: typeof t.label === 'string' ? t.label : r.text(t.label, child(p, 'label'), 64) });
  }
  const keys = r.record(o.keys, '$.keys', 128);
  for (const [name, v] of Object.entries(keys)) setOwn(state.keys, name, keyRecord(v, child('$.keys', name)));
  if (o.shamir !== undefined) {
    const s = r.object(o.shamir, '$.shamir', ['splitId', 'fingerprint', 'threshold', 'shares', 'cards']);
    state.shamir = {
      splitId: r.text(s.splitId, '$.shamir.splitId', 16),
      fingerprint: r.sha256(s.fingerprint, '$.shamir.fingerprint'),
      threshold: r.integer(s.threshold, '$.shamir.threshold', 2, 255),
      shares: r.integer(s.shares, '$.shamir.shares', 2, 255),
      cards: r.array(s.cards, '$.shamir.cards', 1, 256).map((c, i) => r.text(c, child('$.shamir.cards', i), 255)),
    };
  }
  const signed = r.object(o.signed, '$.signed', [], ROLES);
  for (const role of ROLES) if (signed[role] !== undefined) state.signed[role] = r.sha256(signed[role], child('$.signed', role));
  const sigs = r.object(o.signatures, '$.signatures', [], ROLES);
  for (const role of ROLES) if (sigs[role] !== undefined) state.signatures[role] = signatures(sigs[role], child('$.signatures', role));
  const outputs = r.record(o.outputs, '$.outputs', 256);
  for (const [name, v] of Object.entries(outputs)) setOwn(state.outputs, name, r.sha256(v, child('$.outputs', name)));
  if (o.transcript !== undefined) {
    const t = r.object(o.transcript, '$.transcript', ['entries', 'lastHash']);
    state.transcript = { entries: r.integer(t.entries, '$.transcript.entries', 0, 10_000_000), lastHash: r.sha256(t.lastHash, '$.transcript.lastHash') };
  }
  return state;
}

export function stateBytes(state: CeremonyState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(state as unknown as JsonObject, null, 2) + '\n');
}

/** The state file of one output folder. */
export class StateFile {
  readonly path: string;
  private transcript: { readonly entryCount: number; readonly lastHash: string } | undefined;

  constructor(readonly dir: string) {
    this.path = join(dir, STATE_FILE);
  }

  /** The state, or undefined when the folder has none (a fresh ceremony). */
  async load(): Promise<CeremonyState | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await readFileCapped(this.path, STATE_MAX_BYTES);
    } catch (err) {
      if (err instanceof CeremonyError && err.code === 'FILE_NOT_FOUND') return undefined;
      throw err;
    }
    try {
      return readState(parseJsonStrict(bytes, { maxBytes: STATE_MAX_BYTES, path: '$' }));
    } catch (err) {
      if (err instanceof CeremonyError && err.code !== 'CEREMONY_STATE_INVALID') {
        throw new CeremonyError('CEREMONY_STATE_INVALID', `${STATE_FILE} is not readable JSON: ${err.message}`, { path: this.path, cause: err });
      }
      throw err;
    }
  }

  /** Create the state file of a fresh ceremony; OUTPUT_EXISTS if there already is one. */
  async create(state: CeremonyState): Promise<void> {
    await writeFileAtomic(this.path, stateBytes(state));
  }

  /**
   * From now on every save records where `writer` stands (CeremonyState.transcript, review 15e H2). The
   * writer's count and last hash change only once an entry is durable, so the state never claims an entry
   * the file may lack; the transcript may be ahead of the state (an entry made, the state not yet saved).
   */
  bindTranscript(writer: { readonly entryCount: number; readonly lastHash: string } | undefined): void {
    this.transcript = writer;
  }

  /** Replace the state (atomically: a crash leaves the old or the new state, never half of one). */
  async save(state: CeremonyState, now: Date): Promise<void> {
    state.updated = now.toISOString();
    if (this.transcript) state.transcript = { entries: this.transcript.entryCount, lastHash: this.transcript.lastHash };
    await writeFileAtomic(this.path, stateBytes(state), { overwrite: true });
  }
}
