/**
 * The custodian's session for a Notary root certificate request (issue #14, certificate-request.ts): one
 * code path for `tuf-ceremony sign` and the app's Co-sign screen. The review is recorded, the key — on a
 * token, or rebuilt from share cards — issues the renewed certificate, which issueRenewedCertificate checks
 * in software (same key, the request's validity, CN = GUN, CA:FALSE, its self-signature) before anything is
 * kept; the response is then parsed back and merged alone as the administrator's merge will, and the session
 * transcript is sealed by the key that issued the certificate, in the same login (as the co-sign sessions of
 * signing requests: session-transcripts.ts startCoSignSession).
 */
import { checkSessionWitnesses, SessionTranscript } from '../audit/session.js';
import { CeremonyError } from '../errors.js';
import type { SigningKey } from '../signers/signing-key.js';
import { formatExpires } from '../tuf/dates.js';
import {
  certificateEntryFor,
  issueRenewedCertificate,
  mergeCertificateResponses,
  parseCertificateResponse,
  serializeCertificateResponse,
  type CertificateRequest,
  type CertificateResponse,
  type RenewedCertificate,
} from './certificate-request.js';

export interface CertificateCoSignInput {
  request: CertificateRequest;
  requestFile: { name: string; bytes: Uint8Array };
  /** The custodian's name as given (default: the request's name for the key). */
  signer?: string | undefined;
  witnesses?: readonly string[] | undefined;
  /** What to call the witness list in a refusal (`--witness`, or the app's `witnesses`). */
  witnessesLabel?: string | undefined;
  /** How the review was confirmed (an expected hash given, or words confirmed on screen). */
  reviewNote: string;
  /** The response file's name, recorded as the session's output. */
  outputName: (response: CertificateResponse) => string;
  now?: (() => Date) | undefined;
}

export interface CertificateIssued {
  response: CertificateResponse;
  renewed: RenewedCertificate;
  /** The response file's bytes, checked. */
  written: Uint8Array;
  name: string;
  sealKeyId: string;
}

export interface CertificateCoSign {
  /** Why a key is refused before any login: undefined when the request renews its certificate (unlockTokenKey / withShareCardKey `refuse`). */
  refuse(fingerprint: string): string | undefined;
  /** The key issues the certificate; checked, recorded and sealed by the same key while it is at hand. */
  issue(key: SigningKey, token?: { serial: string; label?: string } | undefined): Promise<void>;
  /** After `issue`: the response, checked as the administrator's merge will check it. */
  result(): CertificateIssued;
  /** The sealed session transcript. */
  bytes(): Uint8Array;
}

export async function startCertificateCoSign(input: CertificateCoSignInput): Promise<CertificateCoSign> {
  const { request } = input;
  const witnesses = checkSessionWitnesses(input.witnesses, input.witnessesLabel);
  const session = await SessionTranscript.start({ kind: 'co-sign', profile: 'notary', repository: request.repository, reviewed: input.requestFile.bytes, rehearsal: false }, input.now);
  const digest = { label: 'certificate request ID', sha256: request.requestId };
  await session.append({
    step: 'request.review',
    actor: { name: input.signer ?? 'custodian', role: 'co-signer' },
    digests: [digest],
    inputs: [{ name: input.requestFile.name, bytes: input.requestFile.bytes }],
    note: input.reviewNote,
  });
  let done: CertificateIssued | undefined;
  return {
    refuse: (fp) => (certificateEntryFor(request, fp) ? undefined : 'not a root key whose certificate this request renews'),
    issue: async (key, token) => {
      if (done) throw new CeremonyError('INTERNAL', 'a certificate co-sign session issues one certificate');
      const issued = await issueRenewedCertificate(request, key, { name: input.signer, token, witnesses });
      const written = serializeCertificateResponse(issued.response);
      const name = input.outputName(issued.response);
      await session.append({
        step: 'certificate.issue',
        actor: { name: issued.response.signer.name, role: 'co-signer' },
        ...(token ? { token: { ...token, keyId: issued.renewed.keyid } } : {}),
        digests: [digest, { label: 'the new certificate (DER)', sha256: issued.renewed.sha256 }],
        outputs: [{ name, bytes: written }],
        note: `a new certificate for the same key, valid until ${formatExpires(issued.renewed.notAfter)}; its signature verified`,
      });
      // Sealed by the key that issued the certificate, while it is at hand.
      const sealKeyId = await session.seal(key);
      // As the administrator's merge will read it: parsed back and checked against the request.
      mergeCertificateResponses(request, [parseCertificateResponse(written)]);
      done = { response: issued.response, renewed: issued.renewed, written, name, sealKeyId };
    },
    result: () => {
      if (!done) throw new CeremonyError('INTERNAL', 'no certificate was issued in this session');
      return done;
    },
    bytes: () => session.bytes(),
  };
}
