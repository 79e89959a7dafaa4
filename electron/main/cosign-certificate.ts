/**
 * The Co-sign screen's side of a Notary root certificate request (issue #14; the CLI: `tuf-ceremony sign`,
 * src/cli/sign-certificate.ts). The first of the two rounds of renewing Notary root certificates with the
 * same keys: the custodian reads what their token will issue ("a new certificate for your key, valid from …
 * until …; same key"), confirms the request's hash words, chooses the token and key — checked to be a key
 * whose certificate the request renews BEFORE the PIN is asked — and the token issues the certificate.
 *
 * Everything after the PIN is the core's, shared with the CLI (src/rotation/certificate-cosign.ts): the
 * certificate is checked in software before anything is written (same key, exactly the request's validity,
 * CN = GUN, CA:FALSE, not SHA-1, its self-signature: checkRenewedCertificate), the response is parsed back
 * and merged alone as the administrator's merge will, and the session transcript is sealed by the same key
 * in the same login, as `sign` seals it. The response and its transcript are written atomically, never over
 * a file (rotation.ts writeOutWithTranscript).
 *
 * Stateless like rotation.ts: each call carries the request; the PIN is bytes zeroed before the call returns.
 */
import { CeremonyError } from '../../src/errors.js';
import { groupHex, shortDigest, SHORT_DIGEST_BYTES } from '../../src/crypto/digest-words.js';
import { CERTIFICATE_REQUEST_MAX_BYTES, describeCertificateRequest, certificateEntryFor, parseCertificateRequest, type CertificateRequest, type CertificateResponse } from '../../src/rotation/certificate-request.js';
import { startCertificateCoSign } from '../../src/rotation/certificate-cosign.js';
import { unlockTokenKey } from '../../src/rotation/signers.js';
import { openExpectedToken } from '../../src/signers/token-keys.js';
import { formatExpires } from '../../src/tuf/dates.js';
import type { CertificateReviewView, CertificateSignedView, CertificateSignerCheckView, NamedFile, TokenRefView } from '../shared/api-types.js';
import { labelledKeyOnToken, signConfirmed, slug, touchOfKey, withSource, writeOutWithTranscript, type RotationDeps, type SignInput } from './rotation.js';
import { fingerprintView } from './tokens.js';

/** The request, size-capped then parsed strictly by the core; a refusal names the file. */
export function openCertificateRequest(file: NamedFile): CertificateRequest {
  if (file.bytes.length > CERTIFICATE_REQUEST_MAX_BYTES) {
    throw new CeremonyError('INPUT_TOO_LARGE', `${file.name} is ${file.bytes.length} bytes, over the cap of ${CERTIFICATE_REQUEST_MAX_BYTES} for a certificate request`, { path: '$' });
  }
  return withSource(file.name, () => parseCertificateRequest(file.bytes, file.name));
}

export function certificateReviewView(request: CertificateRequest): CertificateReviewView {
  const prev = request.previous.signed;
  const { lines, digest } = describeCertificateRequest(request);
  const d = shortDigest(digest.sha256);
  const renewed = new Set(request.certificates.map((c) => c.keyid));
  return {
    requestId: request.requestId,
    repository: request.repository,
    fromVersion: prev.version,
    toVersion: prev.version + 1,
    expires: { from: prev.expiresText, to: request.expires },
    validity: { notBefore: formatExpires(request.validity.notBefore), notAfter: formatExpires(request.validity.notAfter) },
    certificates: request.certificates.map((c) => {
      const old = prev.keys.get(c.keyid)!;
      return { keyid: c.keyid, name: c.name, fingerprint: fingerprintView(old.key.fingerprint), currentNotAfter: formatExpires(old.key.certificate!.notAfter) };
    }),
    notRenewed: prev.roles
      .get('root')!
      .keyids.filter((id) => !renewed.has(id))
      .map((id) => {
        const cert = prev.keys.get(id)?.key.certificate;
        return cert ? { keyid: id, currentNotAfter: formatExpires(cert.notAfter) } : { keyid: id };
      }),
    digest: { sha256: d.sha256, hex: d.hex, grouped: groupHex(d.hex), words: d.words },
    lines,
  };
}

export function review(req: { request: NamedFile }): CertificateReviewView {
  return certificateReviewView(openCertificateRequest(req.request));
}

/** The key labelled `keyLabel` on the token, read without a PIN: it must be one whose certificate the request renews. */
async function renewedKeyOnToken(request: CertificateRequest, req: { module: string; token: TokenRefView; keyLabel: string }, deps: Pick<RotationDeps, 'tokens'>) {
  const { checked, where, key, fp } = await labelledKeyOnToken(req, deps);
  const entry = certificateEntryFor(request, fp);
  if (!entry) {
    throw new CeremonyError(
      'ROTATION_SIGNER_UNKNOWN',
      `key "${req.keyLabel}" on ${where} (fingerprint ${groupHex(fp.slice(0, SHORT_DIGEST_BYTES * 2))}) is not a root key whose certificate this request renews: it has nothing to issue here (no PIN was asked)`,
    );
  }
  return { checked, key, entry };
}

/** Before the PIN dialog: the chosen key must be one whose certificate the request renews. */
export async function checkSigner(req: { request: NamedFile; module: string; token: TokenRefView; keyLabel: string }, deps: Pick<RotationDeps, 'tokens'>): Promise<CertificateSignerCheckView> {
  const request = openCertificateRequest(req.request);
  const { checked, key, entry } = await renewedKeyOnToken(request, req, deps);
  const view: CertificateSignerCheckView = { token: checked.token, key, signer: { name: entry.name, keyid: entry.keyid } };
  const touch = await touchOfKey(req, key, deps);
  if (touch) view.touch = touch;
  return view;
}

/** The response file: named for the custodian and the request. */
export function certificateResponseName(request: CertificateRequest, response: CertificateResponse): string {
  return `${slug(response.signer.name)}.certificate-response-v${request.previous.signed.version + 1}-${request.requestId.slice(0, 8)}.json`;
}

export async function sign(req: SignInput, deps: RotationDeps): Promise<CertificateSignedView> {
  return signConfirmed(
    req,
    {
      open: openCertificateRequest,
      // As `sign --expect-hash`: the words confirmed must be this request's (its ID binds every field), before the token is opened.
      accepts: (request, confirmed) => confirmed === request.requestId,
      refusal: (request) => `the certificate request has short hash ${groupHex(request.requestId.slice(0, SHORT_DIGEST_BYTES * 2))}, not the one confirmed on screen: nothing was issued (no PIN was used)`,
    },
    async (request, pin) => {
      const cosign = await startCertificateCoSign({
        request,
        requestFile: { name: req.request.name, bytes: req.request.bytes },
        witnesses: req.witnesses,
        witnessesLabel: 'witnesses',
        reviewNote: 'reviewed on screen; the custodian confirmed the short hash words of the certificate request',
        outputName: (r) => certificateResponseName(request, r),
        now: deps.now,
      });
      const opened = await openExpectedToken({ module: req.module, token: req.token }, deps.tokens);
      let rehearsal: boolean;
      try {
        // A key the request renews no certificate of is refused before the login (no PIN used).
        const { key } = await unlockTokenKey(opened, req.keyLabel, pin, (fp) => cosign.refuse(fp));
        const t = opened.session.token;
        await cosign.issue(key, t.label ? { serial: t.serial, label: t.label } : { serial: t.serial });
        rehearsal = opened.session.rehearsal;
      } finally {
        await opened.session.close(); // logs out
      }
      const done = cosign.result();
      const files = await writeOutWithTranscript(deps, 'certificates', [{ name: done.name, bytes: done.written }], { bytes: cosign.bytes(), sealKeyId: done.sealKeyId });
      const out: CertificateSignedView = {
        written: files.written[0]!,
        transcript: files.transcript,
        signer: { name: done.response.signer.name },
        witnesses: done.response.witnesses ?? [],
        keyid: done.response.keyid,
        newKeyid: done.renewed.keyid,
        certificate: { sha256: done.renewed.sha256, notBefore: formatExpires(request.validity.notBefore), notAfter: formatExpires(done.renewed.notAfter) },
        rehearsal,
      };
      if (done.response.signer.token) out.signer.tokenSerial = done.response.signer.token.serial;
      return out;
    },
  );
}
