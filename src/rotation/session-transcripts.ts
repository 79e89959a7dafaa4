/**
 * The co-sign and merge session transcripts (issue #16 point 9; the format and sealing rules are
 * src/audit/session.ts), built the same way whoever runs the session: `tuf-ceremony sign` / `merge`
 * (src/cli/sign.ts, merge.ts) and the app's Co-sign screen and Rotation screen (electron/main/rotation.ts,
 * shamir.ts). One builder, so a transcript from the app and one from the CLI say the same steps.
 *
 * Co-sign: `request.review` (what was reviewed, and whether an expected hash was compared), then `co-sign`
 * (the response made), sealed by the key that signed while it is at hand — `whileSigned` is given to
 * signRequestOnToken / signRequestWithShareCards (src/rotation/signers.ts), which call it in the same token
 * login, or before the rebuilt key is wiped. No PIN, share or key material enters it: only names, the
 * token's label and serial, digests and the response file's hash.
 *
 * Merge: one `merge` entry (request and responses in, merged files out), then `session.end`; unsealed, as
 * no key is at hand: the merged file proves itself by its signatures.
 *
 * Rotation request: one `rotation.request` entry (what was reviewed, the files read, the request written,
 * the keys it adds and removes, its expected signers), then `session.end`; unsealed, as no key signs
 * anything: `tuf-ceremony rotate` (src/cli/rotate.ts) and the app's Rotation screen (electron/main/rotation.ts).
 *
 * Certificate renewal in the room (`tuf-ceremony renew-certificates`, src/cli/renew-certificates.ts): the
 * certificate request reviewed, each token's certificate issued, the root signing request built, each
 * token's signatures, the merge, then `session.end`; unsealed like merge — several keys sign here, none
 * is the session's own, and a seal would cost one more token signature (a PIN-per-signature key: one more
 * PIN) on the custodians' one-PIN session. The root written proves itself by its signatures.
 */
import { checkSessionWitnesses, sessionNote, SessionTranscript } from '../audit/session.js';
import type { SigningKey } from '../signers/signing-key.js';
import type { CertificateRequest } from './certificate-request.js';
import { describeRequest } from './describe.js';
import type { SignatureResponse, SigningRequest } from './request.js';

/** A file by its base name (no folder: transcripts name files, never paths). */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/** What a co-signing witness confirmed, as the transcript records it. */
export const CO_SIGN_WITNESS_CONFIRMED = 'watched the signature being made';

export interface CoSignSessionInput {
  request: SigningRequest;
  /** The request as received (its SHA-256 is the header's planHash) and its file name. */
  requestFile: NamedBytes;
  /** Who signs as far as the review knows (`--name`, or the request's name for the key); `co-signer` if unknown. */
  signer?: string | undefined;
  /** How the review was confirmed, in words (an expected hash compared, or the words confirmed on screen). */
  reviewNote: string;
  /**
   * The witness names the response will carry, checked here by the transcript's rules for a name (shorter
   * than a response allows) before anything is signed, so the seal never fails after the signature.
   */
  witnesses?: readonly string[] | undefined;
  /** What to call the witness list in a refusal (`--witness`, or the app's `witnesses`). */
  witnessesLabel?: string;
  /** The response file the signature goes into: its name and bytes, from the response made. */
  output(response: SignatureResponse): NamedBytes;
  now?: () => Date;
}

export interface CoSignSession {
  /** For signRequestOnToken / signRequestWithShareCards: records the signature and seals, with the signing key. */
  whileSigned(key: SigningKey, response: SignatureResponse): Promise<void>;
  /** The response bytes recorded in the transcript (write exactly these), once signed. */
  readonly written: Uint8Array | undefined;
  /** The seal's key ID (`transcript verify --seal-key`), once signed. */
  readonly sealKeyId: string;
  /** The sealed transcript; refused before it is sealed. */
  bytes(): Uint8Array;
}

export async function startCoSignSession(input: CoSignSessionInput): Promise<CoSignSession> {
  const { request } = input;
  checkSessionWitnesses(input.witnesses, input.witnessesLabel);
  const review = describeRequest(request);
  const session = await SessionTranscript.start({ kind: 'co-sign', profile: request.profile, repository: request.repository, reviewed: input.requestFile.bytes, rehearsal: false }, input.now);
  const payloadDigest = { label: `${request.role === 'root' ? 'root' : 'targets'}.json v${review.toVersion}, the bytes to sign`, sha256: review.digest.sha256 };
  await session.append({
    step: 'request.review',
    actor: { name: input.signer ?? 'co-signer', role: 'co-signer' },
    digests: [payloadDigest],
    inputs: [{ name: input.requestFile.name, bytes: input.requestFile.bytes }],
    note: input.reviewNote,
  });
  let written: Uint8Array | undefined;
  let sealKeyId = '';
  return {
    whileSigned: async (key, r) => {
      const out = input.output(r);
      written = out.bytes;
      await session.append({
        step: 'co-sign',
        actor: { name: r.signer.name, role: 'co-signer' },
        ...(r.signer.token ? { token: { ...r.signer.token, keyId: r.signatures[0]!.keyid } } : {}),
        digests: [payloadDigest],
        outputs: [{ name: out.name, bytes: out.bytes }],
        // The optional witness line (the response's names): who watched the signature being made.
        ...(r.witnesses && r.witnesses.length > 0 ? { witnesses: r.witnesses.map((name) => ({ name, confirmed: CO_SIGN_WITNESS_CONFIRMED })) } : {}),
        note: `${r.signatures.length} signature${r.signatures.length === 1 ? '' : 's'} made and verified; ${r.signer.token ? 'on a token' : 'with the key rebuilt from share cards, then wiped'}`,
      });
      sealKeyId = await session.seal(key);
    },
    get written() {
      return written;
    },
    get sealKeyId() {
      return sealKeyId;
    },
    bytes: () => session.bytes(),
  };
}

export interface MergeSessionInput {
  request: SigningRequest;
  requestFile: NamedBytes;
  responseFiles: readonly NamedBytes[];
  /** The merged file(s) written, the role's file first. */
  outputs: readonly NamedBytes[];
  /** Labelled digests of the bytes signed (each part of the request). */
  digests: readonly { label: string; sha256: string }[];
  /** The merge status line ("2 of 2 old keys …"). */
  status: string;
  /** The outcome in words, the transcript's last entry. */
  outcome: string;
  now?: () => Date;
}

/** The merge session's transcript, hash-chained and ended (unsealed: no key is at hand). */
export async function mergeSessionTranscript(input: MergeSessionInput): Promise<Uint8Array> {
  const { request } = input;
  const session = await SessionTranscript.start({ kind: 'merge', profile: request.profile, repository: request.repository, reviewed: input.requestFile.bytes, rehearsal: false }, input.now);
  await session.append({
    step: 'merge',
    actor: { name: 'administrator', role: 'administrator' },
    digests: [...input.digests],
    inputs: [input.requestFile, ...input.responseFiles],
    outputs: [...input.outputs],
    note: input.status,
  });
  await session.end(input.outcome);
  return session.bytes();
}

export interface RotationRequestSessionInput {
  request: SigningRequest;
  /**
   * What was reviewed, the header's planHash: the rotation plan (`rotate`), or — the app's Rotation screen
   * builds the request on screen, with no plan file — the request written itself. `label` says which.
   */
  reviewed: { bytes: Uint8Array; label: string };
  /** The files read to build the request (the plan and the files it names; the app: the previous root). */
  inputs: readonly NamedBytes[];
  /** The request (or bundle) file written, exactly its bytes. */
  output: NamedBytes;
  now?: () => Date;
}

/** The keys a request adds and removes, as the request says (its names, short key IDs: never a full ID in a note). */
function keyChanges(request: SigningRequest): string[] {
  const names = new Map([...(request.keyNames ?? []), ...(request.targets?.keyNames ?? []), ...request.expectedSigners.map((s): [string, string] => [s.keyid, s.name])]);
  const key = (role: string, keyid: string): string => `${role} key ${names.has(keyid) ? `"${names.get(keyid)!}" ` : ''}(key ${keyid.slice(0, 8)})`;
  const review = describeRequest(request);
  const added: string[] = [];
  const removed: string[] = [];
  for (const c of review.changes) {
    if (c.kind === 'key-added') added.push(key(c.role, c.keyid));
    if (c.kind === 'key-removed') removed.push(key(c.role, c.keyid));
    if (c.kind === 'key-replaced') {
      removed.push(key(c.role, c.oldKeyid));
      added.push(key(c.role, c.newKeyid));
    }
  }
  for (const c of review.targetsChanges) {
    if (c.kind === 'delegation-key-added') added.push(key(c.role, c.keyid));
    if (c.kind === 'delegation-key-removed') removed.push(key(c.role, c.keyid));
  }
  return [`keys added: ${added.join(', ') || 'none'}`, `keys removed: ${removed.join(', ') || 'none'}`];
}

/** The rotation-request session's transcript, hash-chained and ended (unsealed: no key signs anything). */
export async function rotationRequestSessionTranscript(input: RotationRequestSessionInput): Promise<Uint8Array> {
  const { request } = input;
  const review = describeRequest(request);
  const session = await SessionTranscript.start({ kind: 'rotation-request', profile: request.profile, repository: request.repository, reviewed: input.reviewed.bytes, rehearsal: false }, input.now);
  const signers = `expected signers: ${request.expectedSigners.map((s) => `${s.name}${s.lost ? ' (lost)' : ''}`).join(', ')}`;
  await session.append({
    step: 'rotation.request',
    actor: { name: 'administrator', role: 'administrator' },
    digests: [
      { label: input.reviewed.label, bytes: input.reviewed.bytes },
      { label: `${request.role === 'root' ? 'root' : 'targets'}.json v${review.toVersion}, the bytes to sign`, sha256: request.payloadSha256 },
      ...(review.revokeTags ? [{ label: `${review.revokeTags.role}.json v${review.revokeTags.toVersion} (tags revoked), the bytes to sign`, sha256: review.revokeTags.digest.sha256 }] : []),
    ],
    inputs: [...input.inputs],
    outputs: [input.output],
    // sessionNote: clipped to the note's length, whatever the names; the key IDs are already short.
    note: sessionNote([...keyChanges(request), signers].join('; '), signers),
  });
  await session.end(`signing request written: ${input.output.name}`);
  return session.bytes();
}

export interface CertificateRenewalSessionInput {
  request: CertificateRequest;
  /** The certificate request as read (its SHA-256 is the header's planHash) and its file name. */
  requestFile: NamedBytes;
  /** The request's review digest (describeCertificateRequest) and how the review was confirmed, in words. */
  review: { sha256: string; note: string };
  /** Each custodian in the room, in the order they logged in: their token, the key's (old) ID, and their files written. */
  custodians: readonly {
    name: string;
    token?: { serial: string; label?: string } | undefined;
    keyid: string;
    notAfter: string;
    certificate: NamedBytes;
    response: NamedBytes;
  }[];
  /** The root signing request built from the certificates, and its file. */
  signing: SigningRequest;
  signingFile: NamedBytes;
  /** The merged root written, and the merge status line. */
  root: NamedBytes;
  status: string;
  now?: () => Date;
}

/** The in-room certificate renewal's transcript, hash-chained and ended (unsealed: see the header comment). */
export async function certificateRenewalSessionTranscript(input: CertificateRenewalSessionInput): Promise<Uint8Array> {
  const { request, signing } = input;
  const session = await SessionTranscript.start({ kind: 'certificate-renewal', profile: 'notary', repository: request.repository, reviewed: input.requestFile.bytes, rehearsal: false }, input.now);
  const toVersion = signing.root.version;
  await session.append({
    step: 'request.review',
    actor: { name: 'administrator', role: 'administrator' },
    digests: [{ label: 'certificate request, as reviewed', sha256: input.review.sha256 }],
    inputs: [input.requestFile],
    note: input.review.note,
  });
  const tokenOf = (c: CertificateRenewalSessionInput['custodians'][number]) => (c.token ? { token: { ...c.token, keyId: c.keyid } } : {});
  for (const c of input.custodians) {
    await session.append({
      step: 'certificate.issue',
      actor: { name: c.name, role: 'custodian' },
      ...tokenOf(c),
      outputs: [c.certificate],
      note: sessionNote(`new certificate for the same key, valid until ${c.notAfter}; its signature and fields verified in software`, 'new certificate for the same key, verified in software'),
    });
  }
  const payload = { label: `root.json v${toVersion}, the bytes to sign`, sha256: signing.payloadSha256 };
  await session.append({
    step: 'root.request',
    actor: { name: 'tuf-ceremony', role: 'app' },
    digests: [{ label: 'certificate request ID', sha256: request.requestId }, payload],
    outputs: [input.signingFile],
    note: `root signing request for version ${toVersion}, built from the ${input.custodians.length} renewed certificates`,
  });
  for (const c of input.custodians) {
    await session.append({
      step: 'co-sign',
      actor: { name: c.name, role: 'custodian' },
      ...tokenOf(c),
      digests: [payload],
      outputs: [c.response],
      note: 'signed under the old and the new certificate ID, in the login that issued the certificate; signatures verified in software',
    });
  }
  await session.append({
    step: 'merge',
    actor: { name: 'tuf-ceremony', role: 'app' },
    digests: [payload],
    outputs: [input.root],
    note: sessionNote(input.status, 'merged'),
  });
  await session.end(`root version ${toVersion} written: ${input.root.name}`);
  return session.bytes();
}
