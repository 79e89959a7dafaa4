/**
 * `inspect REQUEST` / `inspect RESPONSE`: the rendering the CLI's `inspect` prints for our rotation
 * documents (and, later, for the `signing-request` / `signature-response` bundle kinds' content). Returns
 * undefined for bytes that are neither, so the caller falls through to metadata inspection.
 */
import { groupHex } from '../crypto/digest-words.js';
import { quoteShown } from '../json/fields.js';
import { describeRequest, type RequestDescription } from './describe.js';
import { SIGNING_REQUEST_FORMAT, documentFormatOf, parseSignatureResponse, parseSigningRequest, type SignatureResponse } from './request.js';

export type RotationDocumentInspection =
  | { kind: 'signing-request'; text: string; json: RequestDescription & { expectedSigners: { keyid: string; name: string; from: string; lost?: true }[]; payloadSha256: string } }
  | { kind: 'signature-response'; text: string; json: SignatureResponse };

export function inspectRotationDocument(bytes: Uint8Array, source: string): RotationDocumentInspection | undefined {
  const format = documentFormatOf(bytes);
  if (format === undefined) return undefined;
  if (format === SIGNING_REQUEST_FORMAT) {
    const request = parseSigningRequest(bytes, source);
    const d = describeRequest(request);
    const lines = [`${source}: signing request ${request.requestId.slice(0, 16)}…`, ...d.lines, 'Expected signers:'];
    for (const s of request.expectedSigners) lines.push(`  key ${s.keyid.slice(0, 12)}… named ${quoteShown(s.name)}  (${s.from === 'targets' ? (request.delegation ? `key of ${quoteShown(request.delegation.name)} in targets.json version ${request.delegation.delegator.signed.version}` : `targets key of root version ${request.root.version}`) : s.from === 'both' ? 'old and new root' : `${s.from === 'previous' ? 'old' : 'new'} root`})${s.lost ? ' — reported LOST, not expected to sign' : ''}`);
    // A request that also revokes tags (revoke-tags.ts): the part's signers, keys of the role in targets.json N+1.
    const part = request.revokeTags;
    for (const s of part?.expectedSigners ?? []) lines.push(`  key ${s.keyid.slice(0, 12)}… named ${quoteShown(s.name)}  (key of ${quoteShown(part!.role)} in targets.json version ${request.targets!.next.version}: signs part 2)`);
    return { kind: 'signing-request', text: lines.join('\n'), json: { ...d, expectedSigners: request.expectedSigners, payloadSha256: request.payloadSha256 } };
  }
  const r = parseSignatureResponse(bytes);
  const lines = [
    `${source}: signature response to request ${r.requestId.slice(0, 16)}… by ${quoteShown(r.signer.name)}${r.signer.token ? ` (token ${r.signer.token.label !== undefined ? `${quoteShown(r.signer.token.label)}, ` : ''}serial ${quoteShown(r.signer.token.serial)})` : ''}`,
    `  over bytes with SHA-256 ${groupHex(r.payloadSha256)}`,
    ...r.signatures.map((s) => `  signature by key ${s.keyid.slice(0, 12)}…${s.method ? ` (${s.method})` : ''}`),
    '  (not verified here: merge it with its request to check the signatures)',
  ];
  return { kind: 'signature-response', text: lines.join('\n'), json: r };
}
