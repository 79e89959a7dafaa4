/**
 * `tuf-ceremony sign CERTIFICATE_REQUEST --out RESPONSE …` (issue #14): the custodian's side of a Notary root
 * certificate renewal (src/rotation/certificate-request.ts). The review says what the token will issue
 * ("your token will issue a new certificate for your key, valid until …; same key") and that nothing is
 * signed for root.json in this step; `--expect-hash` compares the request's short hash (its ID) before any
 * PIN. The key must be one whose certificate the request renews (ROTATION_SIGNER_UNKNOWN, before the PIN).
 * The token — or the key rebuilt from share cards — signs the new certificate (CN = the GUN, exactly the
 * request's validity); its self-signature is verified in software and the certificate checked as the
 * administrator's merge will check it before the response is written (atomically, never over a file).
 *
 * The session transcript `RESPONSE.transcript.jsonl` is sealed by the same key in the same login.
 * `--json` prints `{ "ok": true, "out", "transcript", "sealKeyId", "form": "certificate-response",
 * "requestId", "keyid", "newKeyid", "certificate": {"sha256","notBefore","notAfter"}, "signer",
 * "review": {"lines","digest"} }`. Exit: 0 written; 1 refused; 2 usage; 3 token.
 */
import { basename } from 'node:path';
import { CeremonyError } from '../errors.js';
import { readFileCapped, writeFileAtomic, writeFileVerified } from '../io/files.js';
import { describeCertificateRequest, parseCertificateRequest } from '../rotation/certificate-request.js';
import { startCertificateCoSign } from '../rotation/certificate-cosign.js';
import { withShareCardKey } from '../rotation/signers.js';
import { SHARE_CARD_MAX_BYTES, parseShareCard, wipeShareCard, type ShareCard } from '../shamir/index.js';
import { describeToken } from '../signers/pkcs11/errors.js';
import type { SigningKey } from '../signers/signing-key.js';
import { chosenToken, openExpectedToken } from '../signers/token-keys.js';
import { unlockTokenKey } from '../rotation/signers.js';
import { formatExpires } from '../tuf/dates.js';
import type { TokenModule } from '../signers/pkcs11/token.js';
import type { Io } from './output.js';
import { checkExpectedHash, moduleDepsFor, pinSource, type SignDeps, type SignOptions } from './sign.js';

export async function signCertificateRequestCommand(
  a: { requestPath: string; requestBytes: Uint8Array; out: string; transcriptPath: string; opts: SignOptions; witnesses: string[]; tokenGiven: boolean; json: boolean; say: (s: string) => void; loadedHere: TokenModule[] },
  io: Io,
  deps: SignDeps,
): Promise<number> {
  const { opts, say } = a;
  if (opts.bundle) throw new CeremonyError('USAGE', 'a certificate response is written as the plain document: drop --bundle');
  const request = parseCertificateRequest(a.requestBytes, basename(a.requestPath));
  const review = describeCertificateRequest(request);
  for (const line of review.lines) say(line);
  if (opts.expectHash !== undefined) checkExpectedHash(opts.expectHash, review.digest);

  // The session (src/rotation/certificate-cosign.ts, shared with the app's Co-sign screen): the review
  // recorded; the certificate issued, checked in software and sealed by the same key in the same login.
  const cosign = await startCertificateCoSign({
    request,
    requestFile: { name: basename(a.requestPath), bytes: a.requestBytes },
    signer: opts.name,
    witnesses: a.witnesses,
    witnessesLabel: '--witness',
    reviewNote: opts.expectHash !== undefined ? 'the short hash read out by the administrator was given and matched the request' : 'reviewed on screen; no expected hash was given to compare',
    outputName: () => basename(a.out),
  });
  const issue = (key: SigningKey, token: { serial: string; label?: string } | undefined): Promise<void> => cosign.issue(key, token);
  const refuse = (fp: string): string | undefined => cosign.refuse(fp);

  if (a.tokenGiven) {
    const pin = pinSource(opts.pinEnv, deps);
    const opened = await openExpectedToken({ module: opts.module!, moduleParams: opts.moduleParams, token: chosenToken(opts.token, opts.tokenLabel) }, moduleDepsFor(deps, a.loadedHere));
    try {
      const { key } = await unlockTokenKey(opened, opts.label!, pin, refuse);
      const t = opened.session.token;
      await issue(key, t.label ? { serial: t.serial, label: t.label } : { serial: t.serial });
      say(`${describeToken(t)} issued the certificate with key "${opts.label}"${opened.session.rehearsal ? ' — REHEARSAL token' : ''}`);
    } finally {
      await opened.session.close();
    }
  } else {
    const cards: ShareCard[] = [];
    try {
      for (const path of opts.shareCard!) {
        const bytes = await readFileCapped(path, SHARE_CARD_MAX_BYTES);
        try {
          cards.push(parseShareCard(bytes, { source: basename(path) }));
        } finally {
          bytes.fill(0);
        }
      }
      await withShareCardKey(cards, refuse, (key) => issue(key, undefined));
    } finally {
      cards.forEach(wipeShareCard);
    }
    say('the key rebuilt from the share cards issued the certificate; the rebuilt key was wiped from memory');
  }
  const { response, renewed, written, sealKeyId } = cosign.result();
  await writeFileVerified(a.out, written);
  await writeFileAtomic(a.transcriptPath, cosign.bytes());
  say(`wrote ${a.out}: ${response.signer.name}'s new certificate for the same key, valid until ${formatExpires(renewed.notAfter)} (SHA-256 ${renewed.sha256.slice(0, 16)}…, new key ID ${renewed.keyid.slice(0, 12)}…); next the administrator merges the certificates and sends the root signing request to sign`);
  say(`session transcript ${a.transcriptPath}, sealed by the key: tuf-ceremony transcript verify ${a.transcriptPath} --seal-key ${sealKeyId}`);
  if (a.json) {
    io.out(
      JSON.stringify(
        {
          ok: true,
          out: a.out,
          transcript: a.transcriptPath,
          sealKeyId,
          form: 'certificate-response',
          requestId: request.requestId,
          keyid: response.keyid,
          newKeyid: renewed.keyid,
          certificate: { sha256: renewed.sha256, notBefore: request.validity.notBefore.toISOString(), notAfter: renewed.notAfter.toISOString() },
          signer: response.signer,
          witnesses: response.witnesses ?? [],
          review: { lines: review.lines, digest: review.digest },
        },
        null,
        2,
      ),
    );
  }
  return 0;
}

