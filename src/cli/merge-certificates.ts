/**
 * `tuf-ceremony merge CERTIFICATE_REQUEST RESPONSE… --out SIGNING_REQUEST` (issue #14): the administrator's
 * merge of certificate responses (src/rotation/certificate-request.ts). Each certificate is checked — for
 * the custodian's current key (CERTIFICATE_KEY_MISMATCH), with the request's validity
 * (CERTIFICATE_VALIDITY_MISMATCH), self-signed by that key (CERTIFICATE_SIGNATURE_INVALID), a leaf for the
 * GUN (CERTIFICATE_INVALID), answering this request (ROTATION_RESPONSE_MISMATCH) — and once every one is
 * back, root N+1 is built and its signing request written to --out (never over a file): the ordinary root
 * request every custodian then signs, bound to this certificate request. Until then the refusal is
 * CERTIFICATES_INCOMPLETE naming whose certificate is missing (`--partial`: exit 0, nothing written).
 *
 * `--json` prints `{ "ok": true, "form": "certificate-merge", "final", "certificateRequestId",
 * "renewed": [{name, keyid, newKeyid, sha256, notAfter}], "waitingFor": [{keyid, name}], "out",
 * "requestId", "payloadSha256", "review": {"lines","digest"} | null }`.
 */
import { basename } from 'node:path';
import { SessionTranscript } from '../audit/session.js';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { readFileCapped, writeFileAtomic, writeFileVerified } from '../io/files.js';
import { CERTIFICATE_RESPONSE_MAX_BYTES, mergeCertificateResponses, parseCertificateRequest, parseCertificateResponse, type CertificateResponse } from '../rotation/certificate-request.js';
import { describeRequest } from '../rotation/describe.js';
import { serializeSigningRequest } from '../rotation/request.js';
import { formatExpires } from '../tuf/dates.js';
import type { Io } from './output.js';

export async function mergeCertificatesCommand(
  a: { requestPath: string; requestBytes: Uint8Array; responsePaths: string[]; out: string; transcriptPath: string; partial: boolean; json: boolean },
  io: Io,
): Promise<number> {
  const say = (s: string): void => (a.json ? io.err(s) : io.out(s));
  const request = parseCertificateRequest(a.requestBytes, basename(a.requestPath));
  const responses: CertificateResponse[] = [];
  const files: { name: string; bytes: Uint8Array }[] = [];
  for (const path of a.responsePaths) {
    try {
      const bytes = await readFileCapped(path, CERTIFICATE_RESPONSE_MAX_BYTES);
      files.push({ name: basename(path), bytes });
      const response = parseCertificateResponse(bytes);
      // Checked alone first, so a refusal names its file (CERTIFICATE_KEY_MISMATCH, …).
      mergeCertificateResponses(request, [response]);
      responses.push(response);
    } catch (err) {
      if (isCeremonyError(err)) throw new CeremonyError(err.code, `${basename(path)}: ${messageWithoutPath(err)}`, { ...(err.path ? { path: err.path } : {}), cause: err });
      throw err;
    }
  }
  // Every response checked again as a whole (duplicates across files), after each was checked alone.
  const result = mergeCertificateResponses(request, responses);
  const renewed = result.renewed.map((r) => ({ name: r.entry.name, keyid: r.entry.keyid, newKeyid: r.keyid, sha256: r.sha256, notAfter: formatExpires(r.notAfter) }));
  for (const r of renewed) say(`${r.name}: new certificate for the same key, valid until ${r.notAfter} (SHA-256 ${r.sha256.slice(0, 16)}…), checked`);
  const report = { ok: true, form: 'certificate-merge', final: result.request !== undefined, certificateRequestId: request.requestId, renewed, waitingFor: result.waitingFor };
  if (!result.request) {
    const missing = `waiting for the certificate of ${result.waitingFor.map((w) => `${w.name} (key ${w.keyid.slice(0, 12)}…)`).join(', ')}`;
    if (!a.partial) throw new CeremonyError('CERTIFICATES_INCOMPLETE', `${missing}: every certificate the request renews must be back before root version ${request.previous.signed.version + 1} can be built (merge with --partial to accept this)`);
    say(`partial: ${missing}; nothing written`);
    if (a.json) io.out(JSON.stringify({ ...report, out: null, requestId: null, payloadSha256: null, review: null }, null, 2));
    return 0;
  }
  const signing = result.request;
  const bytes = serializeSigningRequest(signing);
  const review = describeRequest(signing);
  for (const line of review.lines) say(line);
  await writeFileVerified(a.out, bytes);
  const session = await SessionTranscript.start({ kind: 'merge', profile: 'notary', repository: request.repository, reviewed: a.requestBytes, rehearsal: false });
  await session.append({
    step: 'merge',
    actor: { name: 'administrator', role: 'administrator' },
    digests: [
      { label: 'certificate request ID', sha256: request.requestId },
      { label: `root.json v${signing.root.version}, the bytes to sign`, sha256: signing.payloadSha256 },
    ],
    inputs: [{ name: basename(a.requestPath), bytes: a.requestBytes }, ...files],
    outputs: [{ name: basename(a.out), bytes }],
    note: `certificates renewed (same keys): ${renewed.map((r) => r.name).join(', ')}; root signing request written`,
  });
  // Unsealed kinds end with session.end, or `transcript verify` takes the file for a cut one (audit/verify.ts).
  await session.end(`root signing request written: ${basename(a.out)}`);
  await writeFileAtomic(a.transcriptPath, session.bytes());
  say(`wrote ${a.out}: signing request ${signing.requestId.slice(0, 16)}… for root version ${signing.root.version}, which every custodian now signs (tuf-ceremony sign); then merge their responses`);
  if (a.json) io.out(JSON.stringify({ ...report, out: a.out, requestId: signing.requestId, payloadSha256: signing.payloadSha256, review: { lines: review.lines, digest: review.digest } }, null, 2));
  return 0;
}
