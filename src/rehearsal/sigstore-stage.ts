/**
 * `rehearse --profile sigstore` (issue #15): after the TUF rehearsal's root ceremony and rotation, a private
 * Sigstore's trust root is published the way a real one is — a REHEARSAL `trusted_root.json` (a Fulcio CA
 * certificate, Rekor and CT log keys made here, URLs under `.rehearsal.invalid`) added to targets.json by a
 * targets signing request whose review lists the file by size and short hash and says in words which CAs
 * and log keys it adds; Alice signs it with the targets key on her rehearsal token; the response is merged
 * into targets.json v2; snapshot v2 and timestamp v2 are signed with the rehearsal's snapshot and timestamp
 * keys (src/refresh/refresh.ts). The caller writes the final repository, with trusted_root.json under
 * targets/, as the hostable tree.
 *
 * Files in DIR/sigstore/: trusted_root.json, request.json, review.txt, response-alice.json, targets.json (v2).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/files.js';
import { describeTrustedRootChange, parseTrustedRoot, TRUSTED_ROOT_NAME } from '../sigstore/trusted-root.js';
import type { CeremonyPlan } from '../ceremony/plan.js';
import { refreshRepository } from '../refresh/refresh.js';
import { buildTargetsPayload, buildTargetsSigningRequest, describeRequest, finalizeMerge, serializeSignatureResponse, serializeSigningRequest, signRequest } from '../rotation/index.js';
import { makeNotaryRootCertificate } from '../signers/certificate.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import type { RehearsalToken } from '../signers/rehearsal.js';
import type { SigningKey } from '../signers/signing-key.js';
import { SoftwareKey } from '../signers/software.js';
import { applyTargetFileChanges } from '../target-files/change.js';
import { formatExpires } from '../tuf/dates.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import type { Root } from '../tuf/root.js';
import { tokenOf } from './rotation-stage.js';

export const SIGSTORE_DIR = 'sigstore';
const DAY = 86_400_000;
const encoder = new TextEncoder();

export interface SigstoreStageInput {
  out: string;
  /** The repository after the rotation: root chain, targets, snapshot and timestamp v1. */
  files: RepositoryFiles;
  pinnedRoot: Uint8Array;
  plan: CeremonyPlan;
  tokens: readonly RehearsalToken[];
  /** The rehearsal's software keys by planned name (`snapshot`, `timestamp`). */
  softwareKeys: ReadonlyMap<string, SigningKey>;
  now: Date;
  say: (line: string) => void;
}

export interface SigstoreStageResult {
  files: RepositoryFiles;
  targetFiles: Map<string, Uint8Array>;
  review: string;
  trustedRoot: string;
  request: string;
  response: string;
  targets: string;
  trustedRootLines: string[];
}

/** A rehearsal trusted_root.json: one Fulcio CA (a real self-signed certificate), one Rekor and one CT log key. */
async function rehearsalTrustedRoot(now: Date): Promise<Uint8Array> {
  const start = formatExpires(now);
  const log = (baseUrl: string): Record<string, unknown> => {
    const key = SoftwareKey.generate('ecdsa-p256', { label: 'rehearsal log key', rehearsal: true });
    const spki = Buffer.from(key.spki);
    key.dispose();
    const keyId = createHash('sha256').update(spki).digest('base64');
    return { baseUrl, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } }, logId: { keyId } };
  };
  const caKey = SoftwareKey.generate('ecdsa-p256', { label: 'rehearsal Fulcio CA key', rehearsal: true });
  const cert = await makeNotaryRootCertificate(caKey, { gun: 'REHEARSAL Fulcio CA', notBefore: now, notAfter: new Date(now.getTime() + 365 * DAY) });
  caKey.dispose();
  const doc = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [log('https://rekor.rehearsal.invalid')],
    certificateAuthorities: [
      { subject: { organization: 'REHEARSAL', commonName: 'REHEARSAL Fulcio CA' }, uri: 'https://fulcio.rehearsal.invalid', certChain: { certificates: [{ rawBytes: Buffer.from(cert.der).toString('base64') }] }, validFor: { start } },
    ],
    ctlogs: [log('https://ctfe.rehearsal.invalid/rehearsal')],
    timestampAuthorities: [],
  };
  return encoder.encode(`${JSON.stringify(doc, null, 2)}\n`);
}

function signerFor(root: Root, role: 'snapshot' | 'timestamp', key: SigningKey) {
  const id = root.roles.get(role)!.keyids.find((k) => root.keys.get(k)!.key.fingerprint === key.fingerprint)!;
  const listed = root.keys.get(id)!;
  return metadataSigner(key, { profile: 'tuf', json: listed.json, keyId: listed.keyId, key: listed.key });
}

export async function runSigstoreStage(s: SigstoreStageInput): Promise<SigstoreStageResult> {
  const dir = join(s.out, SIGSTORE_DIR);
  const rel = (name: string): string => `${SIGSTORE_DIR}/${name}`;
  const root = s.files.root!;
  const trustedRoot = await rehearsalTrustedRoot(s.now);
  await writeFileAtomic(join(dir, TRUSTED_ROOT_NAME), trustedRoot);

  // The targets change, reviewed as a co-signer reads it.
  const base = buildTargetsPayload(root, s.files.targets!, { expires: s.plan.targets.expires.text });
  const payload = applyTargetFileChanges(base, { add: [{ name: TRUSTED_ROOT_NAME, bytes: trustedRoot, custom: { sigstore: { status: 'Active', usage: 'Unknown' } } }] });
  // The trusted root's bytes travel in the request (bound to its entry), so the review of what it holds is
  // the request's own, as every co-signer's `sign` shows it (src/rotation/request-contents.ts).
  const request = buildTargetsSigningRequest(payload, { repository: s.plan.repository, names: new Map(), contents: new Map([[TRUSTED_ROOT_NAME, { next: trustedRoot }]]) });
  const review = describeRequest(request);
  const trustedRootLines = describeTrustedRootChange(undefined, parseTrustedRoot(trustedRoot));
  const reviewText = review.lines.join('\n') + '\n';
  await writeFileAtomic(join(dir, 'request.json'), serializeSigningRequest(request));
  await writeFileAtomic(join(dir, 'review.txt'), encoder.encode(reviewText));

  // Alice signs with the targets key on her rehearsal token; the response is merged.
  const source = s.plan.targets.key;
  if (source.kind !== 'token') throw new Error('the rehearsal keeps the targets key on a token');
  const key = await tokenOf(s.tokens, source.custodian).findKey(source.keyLabel);
  const response = await signRequest(request, key, { name: source.custodian });
  await writeFileAtomic(join(dir, 'response-alice.json'), serializeSignatureResponse(response));
  const merged = finalizeMerge(request, [response]);
  await writeFileAtomic(join(dir, 'targets.json'), merged.root);

  // Snapshot v2 and timestamp v2 with the rehearsal's keys, as `tuf-ceremony refresh --targets` does.
  const rootMd = request.root;
  const refreshed = await refreshRepository(
    { files: s.files, trustedRoot: s.pinnedRoot, now: s.now, snapshotExpires: formatExpires(new Date(s.now.getTime() + 7 * DAY)), timestampExpires: formatExpires(new Date(s.now.getTime() + DAY)), targets: merged.root },
    { snapshot: [signerFor(rootMd, 'snapshot', s.softwareKeys.get('snapshot')!)], timestamp: [signerFor(rootMd, 'timestamp', s.softwareKeys.get('timestamp')!)] },
  );
  s.say(`  sigstore: ${TRUSTED_ROOT_NAME} added to targets.json v${refreshed.repo.targets!.md.signed.version} (review in ${join(dir, 'review.txt')}), snapshot v${refreshed.after.snapshot}, timestamp v${refreshed.after.timestamp}`);
  return {
    files: refreshed.files,
    targetFiles: new Map([[TRUSTED_ROOT_NAME, trustedRoot]]),
    review: rel('review.txt'),
    trustedRoot: rel(TRUSTED_ROOT_NAME),
    request: rel('request.json'),
    response: rel('response-alice.json'),
    targets: rel('targets.json'),
    trustedRootLines,
  };
}
