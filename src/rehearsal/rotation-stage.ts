/**
 * The rehearsal's rotation (PRODUCT.md §2.4, §3 "one rotation"; issue #5): root version 2 made through the
 * same co-signing flow a real rotation uses (src/rotation), on the rehearsal's own tokens.
 *
 * The story: Carol reports her token lost. The administrator builds a request for root v2 in which Carol's
 * key is REPLACED by a new key generated on a fourth rehearsal token, Dave's (reason "lost": Carol cannot
 * sign, and the request says so), the root threshold is kept, and the root's expiry is renewed. The
 * request goes out as a file (`rotation/request.json`); its review — what changes, in words, and the short
 * hash of the exact bytes to sign as hex and words — is written beside it (`rotation/review.txt`). Alice
 * and Bob each read the request back from its file, as a co-signer's machine would, sign with their root
 * key on their token, and return a signature response (`rotation/response-alice.json`,
 * `response-bob.json`: signatures only). The administrator merges them in the reverse order (merging works
 * in any order; after the first one the "waiting for" list is shown), and the final root is checked the way
 * a client at version 1 checks it (TUF 5.3.4: a threshold of the version-1 keys AND of the version-2 keys,
 * version exactly 1 + 1) before `rotation/2.root.json` is written.
 *
 * Notary: its snapshot binds root.json by length and hashes (Notary's snapshot meta "root"), so a root
 * rotation is published with a snapshot v2 that names the new root; when the rehearsal holds the snapshot
 * key (Bob's token) it signs that too (`rotation/snapshot.json`), targets unchanged. TUF 1.0 snapshots do
 * not list root: targets, snapshot and timestamp stay as they are.
 *
 * Everything secret stays on the tokens; the files written are public. Writes are atomic and never
 * overwrite (src/io/files.ts).
 */
import { SessionTranscript } from '../audit/session.js';
import { join } from 'node:path';
import { CeremonyError } from '../errors.js';
import { digest } from '../crypto/digest.js';
import { groupHex, type ShortDigest, groupWords } from '../crypto/digest-words.js';
import { readFileCapped, writeFileAtomic } from '../io/files.js';
import type { JsonObject } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName } from '../profiles/profile.js';
import {
  REQUEST_MAX_BYTES,
  RESPONSE_MAX_BYTES,
  buildRotationPayload,
  buildSigningRequest,
  describeRequest,
  finalizeMerge,
  mergeResponses,
  parsePreviousRoot,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
  type RotationKey,
  type SignatureResponse,
  type WaitingFor,
} from '../rotation/index.js';
import { makeNotaryRootCertificate } from '../signers/certificate.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import { listPublicKey } from '../signers/public-key-json.js';
import type { RehearsalToken } from '../signers/rehearsal.js';
import type { SigningKey } from '../signers/signing-key.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { formatExpires } from '../tuf/dates.js';
import { parseMetadata } from '../tuf/metadata.js';
import { verifyRootUpdate } from '../tuf/root-chain.js';
import { serializeMetadata, signMetadata } from '../tuf/sign.js';

export const ROTATION_DIR = 'rotation';
export const ROTATION_FILES = {
  request: `${ROTATION_DIR}/request.json`,
  review: `${ROTATION_DIR}/review.txt`,
  responseAlice: `${ROTATION_DIR}/response-alice.json`,
  responseBob: `${ROTATION_DIR}/response-bob.json`,
  root: `${ROTATION_DIR}/2.root.json`,
  notarySnapshot: `${ROTATION_DIR}/snapshot.json`,
  /** The rotation session's sealed transcript (src/audit/session.ts), sealed by Alice's rehearsal root key. */
  transcript: `${ROTATION_DIR}/transcript.jsonl`,
} as const;

/** The custodian whose key is lost, and who receives the replacement key (a fourth rehearsal token). */
export const LOST_CUSTODIAN = 'Carol';
export const NEW_CUSTODIAN = 'Dave';
export const NEW_KEY_LABEL = 'rehearsal-root-dave';
/** The two co-signers, in the order they sign; the administrator merges in the reverse order. */
export const CO_SIGNERS = ['Alice', 'Bob'] as const;

const DAY = 24 * 3600 * 1000;

export interface RotationStageInput {
  profile: ProfileName;
  repository: string;
  /** The rehearsal's output folder (absolute). */
  out: string;
  /** root.json v1 as the ceremony wrote it. */
  rootV1: Uint8Array;
  /** The custodians' rehearsal tokens (Alice, Bob, Carol, …), still logged in after the root ceremony. */
  tokens: readonly RehearsalToken[];
  /** Each custodian's root key label on their token, as the plan names it (`custodians[].keyLabel`). */
  rootKeyLabels: ReadonlyMap<string, string>;
  /** Dave's rehearsal token: a fresh one, for the replacement key. */
  newToken: RehearsalToken;
  /** Notary, when the rehearsal holds the snapshot key: snapshot.json v1 and that key (Bob's token). */
  notarySnapshot?: { v1: Uint8Array; key: SigningKey } | undefined;
  now: () => Date;
  say: (line: string) => void;
}

export interface RotationStageResult {
  /** Files written, relative to `out`. */
  request: string;
  review: string;
  responses: string[];
  root: string;
  /** Notary: the snapshot v2 naming the new root (null when the snapshot is not the rehearsal's). */
  snapshot: string | null;
  version: 2;
  replaced: { custodian: string; by: string; oldKeyId: string; newKeyId: string };
  /** Merge status after the first response (Bob's), and whom it was waiting for then. */
  statusAfterFirst: string;
  waitingForAfterFirst: { name: string; side: WaitingFor['side'] }[];
  status: string;
  /** Short hash of the exact bytes signed (the canonical payload). */
  payloadHash: ShortDigest;
  /** The session transcript (ROTATION_FILES.transcript) and the key ID that sealed it (`--seal-key`). */
  transcript: string;
  transcriptSealKeyId: string;
  rootV2: Uint8Array;
  snapshotV2?: Uint8Array;
}

function labelOf(input: RotationStageInput, custodian: string): string {
  const label = input.rootKeyLabels.get(custodian);
  if (!label) throw new CeremonyError('INTERNAL', `the plan names no root key label for ${custodian}`);
  return label;
}

/** The rehearsal token of `custodian`. */
export function tokenOf(tokens: readonly RehearsalToken[], custodian: string): RehearsalToken {
  const t = tokens.find((x) => x.custodian === custodian);
  if (!t) throw new CeremonyError('INTERNAL', `the rehearsal has no token for ${custodian}`);
  return t;
}

/** Write a public file of the stage, then read it back: the next step starts from what is on disk. */
async function writeAndReadBack(out: string, name: string, bytes: Uint8Array, cap: number): Promise<Uint8Array> {
  await writeFileAtomic(join(out, name), bytes);
  const back = await readFileCapped(join(out, name), cap);
  if (back.length !== bytes.length || !back.every((b, i) => b === bytes[i])) throw new CeremonyError('INTERNAL', `${name} does not read back as written`, { path: name });
  return back;
}

/** Notary snapshot v2: v1's `signed` with version 2 and the new root's length and hashes (sha256 + sha512, base64). */
async function notarySnapshotV2(v1: Uint8Array, rootV2: Uint8Array, key: SigningKey, rootV2Json: ReturnType<typeof parsePreviousRoot>): Promise<Uint8Array> {
  const snap = parseMetadata(v1, 'snapshot', { maxBytes: DEFAULT_CAPS.snapshot, source: 'snapshot.json', profile: 'notary' });
  const p = getProfile('notary');
  const signed: JsonObject = { ...snap.signedJson, version: snap.signed.version + 1 };
  const meta = { ...(signed.meta as JsonObject) };
  meta.root = { hashes: { sha256: p.encodeDigest(digest('sha256', rootV2)), sha512: p.encodeDigest(digest('sha512', rootV2)) }, length: rootV2.length };
  signed.meta = meta;
  const ids = rootV2Json.signed.roles.get('snapshot')!.keyids;
  const listedId = ids.find((id) => rootV2Json.signed.keys.get(id)?.key.fingerprint === key.fingerprint);
  if (!listedId) throw new CeremonyError('INTERNAL', 'the snapshot key on the rehearsal token is not the snapshot key root v2 lists');
  const listed = rootV2Json.signed.keys.get(listedId)!;
  const envelope = await signMetadata('notary', signed, [metadataSigner(key, { profile: 'notary', json: listed.json, keyId: listedId, key: listed.key })]);
  return serializeMetadata('notary', envelope);
}

export async function runRotationStage(input: RotationStageInput): Promise<RotationStageResult> {
  const { profile, repository, out, say } = input;
  const v1 = parsePreviousRoot(input.rootV1, 'root.json');
  const rootRole = v1.signed.roles.get('root')!;

  // Who holds which v1 root key, by public key (fingerprint) read from each token — not by position.
  const names = new Map<string, string>();
  const idByCustodian = new Map<string, string>();
  for (const token of input.tokens) {
    const key = await token.findKey(labelOf(input, token.custodian));
    const id = rootRole.keyids.find((k) => v1.signed.keys.get(k)!.key.fingerprint === key.fingerprint);
    if (!id) throw new CeremonyError('INTERNAL', `${token.custodian}'s rehearsal root key is not in root.json v1`);
    names.set(id, token.custodian);
    idByCustodian.set(token.custodian, id);
  }
  for (const id of rootRole.keyids) if (!names.has(id)) names.set(id, 'backup key (Shamir share cards)');
  const lostId = idByCustodian.get(LOST_CUSTODIAN)!;

  // Dave's replacement key, generated on his token (non-extractable on SoftHSM2) and listed as the profile
  // lists root keys (Notary: a self-signed leaf certificate, CN = the GUN, made with the token key).
  const now = input.now();
  // Renewed: ten years from the rotation, and at least a day past v1's expiry, so the review shows the
  // renewal even when the rehearsal's rotation follows its root ceremony by seconds.
  const expires = new Date(Math.max(Math.floor(now.getTime() / 1000) * 1000 + 3650 * DAY, v1.signed.expires.getTime() + DAY));
  const daveKey = await input.newToken.generateKey('ecdsa-p256', NEW_KEY_LABEL);
  let newKey: RotationKey;
  if (profile === 'notary') {
    const cert = await makeNotaryRootCertificate(daveKey, { gun: repository, notBefore: new Date(now.getTime() - 5 * 60_000), notAfter: expires });
    newKey = { json: cert.listed.json, name: NEW_CUSTODIAN };
  } else {
    newKey = { json: listPublicKey('tuf', daveKey.spki).json, name: NEW_CUSTODIAN };
  }

  say(`ROTATION (rehearsal): ${LOST_CUSTODIAN}'s token is reported lost; root v2 replaces her key by a new key on ${NEW_CUSTODIAN}'s rehearsal token (${input.newToken.token.label}, serial ${input.newToken.token.serial}), keeps the threshold ${rootRole.threshold} and renews the expiry to ${formatExpires(expires)}`);
  const payload = buildRotationPayload(input.rootV1, { expires, root: { replace: [{ old: lostId, new: newKey, reason: 'lost' }] } }, { names });
  const built = buildSigningRequest(payload, { repository });
  const requestBytes = await writeAndReadBack(out, ROTATION_FILES.request, serializeSigningRequest(built), REQUEST_MAX_BYTES);
  // From here on, as a co-signer's machine would: the request as read from its file, checked again.
  const request = parseSigningRequest(requestBytes, ROTATION_FILES.request);
  const review = describeRequest(request);
  // The session's transcript (issue #16): every step of the rotation, hash-chained, sealed at the end.
  const session = await SessionTranscript.start({ kind: 'rehearsal-rotation', profile, repository, reviewed: requestBytes, rehearsal: true }, input.now);
  const payloadDigest = { label: `root.json v2, the bytes to sign`, sha256: review.digest.sha256 };
  await session.append({
    step: 'rotation.request',
    actor: { name: 'administrator', role: 'administrator' },
    digests: [payloadDigest],
    inputs: [{ name: 'root.json (v1)', bytes: input.rootV1 }],
    outputs: [{ name: ROTATION_FILES.request, bytes: requestBytes }],
    note: `${LOST_CUSTODIAN}'s key reported lost; replaced by a new key on ${NEW_CUSTODIAN}'s token; threshold ${rootRole.threshold} kept`,
  });
  await writeFileAtomic(join(out, ROTATION_FILES.review), new TextEncoder().encode(`${review.text}\n`));
  say(`  request: ${join(out, ROTATION_FILES.request)}; the review every co-signer reads (${join(out, ROTATION_FILES.review)}):`);
  for (const line of review.lines) say(`    ${line}`);

  // Alice and Bob sign on their tokens, each after checking the short hash the administrator reads out.
  const responses = new Map<string, { file: string; response: SignatureResponse }>();
  for (const name of CO_SIGNERS) {
    const again = describeRequest(parseSigningRequest(await readFileCapped(join(out, ROTATION_FILES.request), REQUEST_MAX_BYTES), ROTATION_FILES.request));
    if (again.digest.sha256 !== review.digest.sha256) throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `the request ${name} received does not have the short hash read out`, { path: ROTATION_FILES.request });
    const token = tokenOf(input.tokens, name);
    const key = await token.findKey(labelOf(input, name));
    const response = await signRequest(request, key, { name, token: token.token.label ? { serial: token.token.serial, label: token.token.label } : { serial: token.token.serial } });
    const file = name === 'Alice' ? ROTATION_FILES.responseAlice : ROTATION_FILES.responseBob;
    const back = await writeAndReadBack(out, file, serializeSignatureResponse(response), RESPONSE_MAX_BYTES);
    responses.set(name, { file, response: parseSignatureResponse(back) });
    await session.append({
      step: 'rotation.sign',
      actor: { name, role: 'co-signer' },
      token: { serial: token.token.serial, ...(token.token.label ? { label: token.token.label } : {}), keyId: response.signatures[0]!.keyid },
      digests: [payloadDigest],
      inputs: [{ name: ROTATION_FILES.request, bytes: requestBytes }],
      outputs: [{ name: file, bytes: back }],
      note: `${name} compared the short hash read aloud, then signed on the token`,
    });
    say(`  ${name} read the words "${groupWords(again.digest.words)}", signed on ${token.token.label} (serial ${token.token.serial}): ${join(out, file)}`);
  }

  // The administrator merges in the reverse order: Bob's response first.
  const order = [...CO_SIGNERS].reverse().map((n) => responses.get(n)!.response);
  const first = mergeResponses(request, order.slice(0, 1));
  say(`  merged ${order[0]!.signer.name}'s response: ${first.status}`);
  const final = finalizeMerge(request, order);
  say(`  merged ${order[1]!.signer.name}'s response: ${final.status}`);
  const rootV2 = await writeAndReadBack(out, ROTATION_FILES.root, final.root, DEFAULT_CAPS.root);
  // TUF 5.3.4, as a client at version 1 checks it (our verifier), on the bytes written.
  const v2 = parseMetadata(rootV2, 'root', { maxBytes: DEFAULT_CAPS.root, source: ROTATION_FILES.root, profile });
  const chain = verifyRootUpdate(v1, v2);
  say(`  ${join(out, ROTATION_FILES.root)}: root v1 → v2 verifies (${chain.byPrevious.signed.length} of ${chain.byPrevious.threshold} v1 keys, ${chain.bySelf.signed.length} of ${chain.bySelf.threshold} v2 keys)`);

  let snapshotV2: Uint8Array | undefined;
  if (input.notarySnapshot) {
    const bytes = await notarySnapshotV2(input.notarySnapshot.v1, rootV2, input.notarySnapshot.key, v2);
    snapshotV2 = await writeAndReadBack(out, ROTATION_FILES.notarySnapshot, bytes, DEFAULT_CAPS.snapshot);
    say(`  ${join(out, ROTATION_FILES.notarySnapshot)}: snapshot v2 naming root v2, signed with the snapshot key on Bob's token (Notary's snapshot binds root.json); targets unchanged`);
  }
  say(`  short hash of the signed bytes: ${groupHex(review.digest.hex)} (${groupWords(review.digest.words)})`);
  await session.append({
    step: 'rotation.merge',
    actor: { name: 'administrator', role: 'administrator' },
    digests: [payloadDigest],
    inputs: CO_SIGNERS.map((n) => ({ name: responses.get(n)!.file, bytes: serializeSignatureResponse(responses.get(n)!.response) })),
    outputs: [{ name: ROTATION_FILES.root, bytes: rootV2 }, ...(snapshotV2 ? [{ name: ROTATION_FILES.notarySnapshot, bytes: snapshotV2 }] : [])],
    note: `${final.status}; root v1 → v2 verified as a client at v1 would (TUF 5.3.4)`,
  });
  // Sealed by Alice's rehearsal root key: the key that sealed the root ceremony's transcript.
  const sealKey = await tokenOf(input.tokens, CO_SIGNERS[0]).findKey(labelOf(input, CO_SIGNERS[0]));
  const transcriptSealKeyId = await session.seal(sealKey);
  await writeFileAtomic(join(out, ROTATION_FILES.transcript), session.bytes());
  say(`  session transcript: ${join(out, ROTATION_FILES.transcript)}, sealed by ${CO_SIGNERS[0]}'s rehearsal root key ${transcriptSealKeyId}`);

  const replaced = request.root.roles.get('root')!.keyids.find((id) => !rootRole.keyids.includes(id))!;
  return {
    request: ROTATION_FILES.request,
    review: ROTATION_FILES.review,
    responses: CO_SIGNERS.map((n) => responses.get(n)!.file),
    root: ROTATION_FILES.root,
    snapshot: snapshotV2 ? ROTATION_FILES.notarySnapshot : null,
    version: 2,
    replaced: { custodian: LOST_CUSTODIAN, by: NEW_CUSTODIAN, oldKeyId: lostId, newKeyId: replaced },
    statusAfterFirst: first.status,
    waitingForAfterFirst: first.waitingFor.map((w) => ({ name: w.name, side: w.side })),
    status: final.status,
    payloadHash: review.digest,
    transcript: ROTATION_FILES.transcript,
    transcriptSealKeyId,
    rootV2,
    ...(snapshotV2 ? { snapshotV2 } : {}),
  };
}
