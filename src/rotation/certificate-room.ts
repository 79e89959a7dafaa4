/**
 * Renewing Notary root certificates in the room (issue #14): every custodian's token present, one login
 * each. The two rounds of the request → co-sign → merge flow (certificate-request.ts) run back to back
 * with the same unlocked keys: each key issues its fresh certificate for itself (verified in software and
 * checked as merge checks it), root N+1 is built from them, then each key signs root N+1 under its old and
 * its new certificate ID (every signature verified over the payload: signRequest), and the merge must be
 * final — both the previous root's threshold and the new root's (TUF 5.3.4). Nothing is returned until
 * every step passed; the caller writes the outputs.
 */
import { CeremonyError } from '../errors.js';
import type { SigningKey } from '../signers/signing-key.js';
import { issueRenewedCertificate, mergeCertificateResponses, type CertificateRequest, type CertificateResponse } from './certificate-request.js';
import { finalizeMerge, type MergeResult } from './merge.js';
import type { SignatureResponse, SigningRequest } from './request.js';
import { signRequest } from './sign.js';

export interface RoomKey {
  key: SigningKey;
  token?: { serial: string; label?: string } | undefined;
}

export interface RoomRenewal {
  certificates: CertificateResponse[];
  signing: SigningRequest;
  responses: SignatureResponse[];
  result: MergeResult & { root: Uint8Array };
}

export async function renewCertificatesInRoom(request: CertificateRequest, keys: readonly RoomKey[], now: Date = new Date()): Promise<RoomRenewal> {
  const certificates: CertificateResponse[] = [];
  for (const k of keys) certificates.push((await issueRenewedCertificate(request, k.key, { token: k.token })).response);
  const merged = mergeCertificateResponses(request, certificates, now);
  if (!merged.request) {
    throw new CeremonyError('CERTIFICATES_INCOMPLETE', `the keys in the room do not cover every certificate the request renews: missing ${merged.waitingFor.map((w) => `${w.name} (key ${w.keyid.slice(0, 12)}…)`).join(', ')}`);
  }
  const signing = merged.request;
  const responses: SignatureResponse[] = [];
  for (const k of keys) responses.push(await signRequest(signing, k.key, { token: k.token }));
  return { certificates, signing, responses, result: finalizeMerge(signing, responses) };
}
