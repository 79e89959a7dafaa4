/**
 * Co-sign a Notary root certificate request (issue #14): the first of the two rounds of renewing Notary root
 * certificates with the same keys. The custodian reads what their token will issue — a new certificate for
 * their key, valid from … until …, same key; nothing signed for root.json in this step — confirms the
 * request's hash words with the administrator, chooses their token and key (checked by main to be a key
 * whose certificate the request renews, before any PIN), enters the PIN and the token issues the
 * certificate. Main verifies it in software (key, validity, CN = GUN, CA:FALSE, self-signature) before the
 * response and its sealed session transcript are written; a file is never overwritten.
 *
 * A key held on share cards cannot issue its certificate here: the screen says so before any card is asked
 * (the CLI's `sign --share-card` does it).
 */
import { useState } from 'react';
import type { CertificateReviewView, CertificateSignedView, CertificateSignerCheckView, NamedFile } from '../../../electron/shared/api-types.js';
import { PinDialog } from '../components/PinDialog';
import { RefusalPanel } from '../components/RefusalPanel';
import { PinRetryRefusal, TouchNowBanner } from './TokenSignStatus';
import { ceremonyApi, unexpected, type Refusal } from '../lib/api';
import { formatDate, groupedFingerprint, groupWords, witnessNames } from '../lib/format';
import { ResponseWritten } from './ResponseWritten';
import { TokenKeyPicker, type PickedKey } from './TokenKeyPicker';

type Phase =
  | { step: 'choose' }
  | { step: 'checking' }
  | { step: 'checked'; check: CertificateSignerCheckView }
  | { step: 'pin'; check: CertificateSignerCheckView; notice?: string }
  | { step: 'signing'; check: CertificateSignerCheckView }
  | { step: 'signed'; signed: CertificateSignedView }
  | { step: 'refused'; refusal: Refusal; check?: CertificateSignerCheckView };

/** Whether a picked request file is a certificate request: routing only (main parses and checks it whole). */
export function isCertificateRequestFile(bytes: Uint8Array): boolean {
  try {
    const doc: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return typeof doc === 'object' && doc !== null && (doc as { format?: unknown }).format === 'tuf-ceremony-certificate-request';
  } catch {
    return false;
  }
}

export function CertificateReviewPanel({ review }: { review: CertificateReviewView }) {
  return (
    <>
      <section className="panel" aria-labelledby="cert-review-h">
        <h2 id="cert-review-h">
          Certificate renewal: root version {review.fromVersion} → {review.toVersion}
        </h2>
        <p>
          Notary repository (GUN) <code>{review.repository}</code>. No key changes: each token below issues a new certificate for the key it already holds.
        </p>
        <ul className="rotation-changes" aria-label="What each token will issue">
          {review.certificates.map((c) => (
            <li key={c.keyid} className="change-certificate">
              <code title={c.keyid}>key {c.keyid.slice(0, 12)}…</code> (“{c.name}”): your token will issue a new certificate for your key, valid from {formatDate(review.validity.notBefore)} until {formatDate(review.validity.notAfter)}; same key. The current certificate is valid until {formatDate(c.currentNotAfter)}.
            </li>
          ))}
          {review.notRenewed.map((k) => (
            <li key={k.keyid} className="change-not-renewed">
              <code title={k.keyid}>key {k.keyid.slice(0, 12)}…</code>: its certificate is NOT renewed here{k.currentNotAfter ? ` (valid until ${formatDate(k.currentNotAfter)})` : ''}.
            </li>
          ))}
          <li className="change-expiry">
            root version {review.toVersion} will expire {formatDate(review.expires.to)} (version {review.fromVersion} expires {formatDate(review.expires.from)})
          </li>
        </ul>
        <p>
          Nothing is signed for root.json in this step: your token signs only your new certificate. Once the certificates are back, the administrator builds root version {review.toVersion} and a second signing request, which every custodian signs.
        </p>
        <p className="muted">Names are labels written by whoever made the request; the key IDs and fingerprints are what identify a key.</p>
      </section>
      <section className="panel" aria-labelledby="cert-hash-h">
        <h2 id="cert-hash-h">Short hash of this request — read aloud and compare</h2>
        <ol className="fp-words rotation-words" aria-label="Hash words, to read aloud">
          {review.digest.words.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ol>
        <p>
          Short hash <code className="rotation-short-hash">{review.digest.grouped}</code>
        </p>
        <p className="muted">
          Full SHA-256 (the request ID) <code className="fp-full">{groupedFingerprint(review.digest.sha256)}</code>
        </p>
      </section>
    </>
  );
}

export function CertificateCosign({ request, review }: { request: NamedFile; review: CertificateReviewView }) {
  const api = ceremonyApi();
  const [confirmed, setConfirmed] = useState(false);
  const [picked, setPicked] = useState<PickedKey | undefined>();
  const [phase, setPhase] = useState<Phase>({ step: 'choose' });
  const [method, setMethod] = useState<'token' | 'cards'>('token');
  const [witnessText, setWitnessText] = useState('');
  const witnesses = witnessNames(witnessText);
  const busy = phase.step === 'checking' || phase.step === 'signing';
  const done = phase.step === 'signed';

  /** Before the PIN dialog: the chosen key must be one whose certificate the request renews (main checks on the token). */
  async function check(notice?: string) {
    if (!picked || !api) return;
    setPhase({ step: 'checking' });
    try {
      const r = await api.certificateCheckSigner({ request, module: picked.module, token: { serial: picked.token.serial, label: picked.token.label }, keyLabel: picked.key.label });
      if (!r.ok) return setPhase({ step: 'refused', refusal: r });
      if (r.value.token.pinStatus === 'locked') {
        return setPhase({ step: 'refused', refusal: { ok: false, code: 'PIN_LOCKED', message: `The PIN of token “${r.value.token.label}” (serial ${r.value.token.serial}) is locked; no PIN was asked.` } });
      }
      setPhase(notice ? { step: 'pin', check: r.value, notice } : { step: 'checked', check: r.value });
    } catch (err) {
      setPhase({ step: 'refused', refusal: unexpected(err) });
    }
  }

  async function sign(pin: string, c: CertificateSignerCheckView) {
    if (!picked || !api) return;
    setPhase({ step: 'signing', check: c });
    try {
      // The PIN goes straight into the one request that uses it; the confirmed request ID with it.
      const r = await api.certificateSign({ request, module: picked.module, token: { serial: c.token.serial, label: c.token.label }, keyLabel: c.key.label, confirmedSha256: review.digest.sha256, pin, ...(witnesses.length ? { witnesses } : {}) });
      setPhase(r.ok ? { step: 'signed', signed: r.value } : { step: 'refused', refusal: r, check: c });
    } catch (err) {
      setPhase({ step: 'refused', refusal: unexpected(err), check: c });
    }
  }

  const checked = phase.step === 'checked' || phase.step === 'pin' || phase.step === 'signing' ? phase.check : undefined;
  return (
    <>
      <CertificateReviewPanel review={review} />
      <section className="panel" aria-labelledby="cert-confirm-h">
        <h2 id="cert-confirm-h">Confirm, then issue the certificate</h2>
        <label className="rotation-confirm">
          <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.currentTarget.checked)} disabled={busy || done} />
          <span>
            I read what my token will issue, and the words <strong>{groupWords(review.digest.words)}</strong> match the ones the administrator read out.
          </span>
        </label>
        {confirmed ? (
          <label className="field">
            <span>Witnesses present (optional, one name per line)</span>
            <textarea rows={2} value={witnessText} onChange={(e) => setWitnessText(e.currentTarget.value)} spellCheck={false} autoComplete="off" disabled={busy || done} />
            <span className="muted" aria-live="polite">
              {witnesses.length ? `Recorded in the response as witnesses: ${witnesses.join(', ')}.` : 'No witness named: the response records none.'}
            </span>
          </label>
        ) : null}
        {confirmed ? (
          <fieldset className="rehearse-options" aria-label="Issue with">
            <label className="module-option">
              <input type="radio" name="cert-method" checked={method === 'token'} onChange={() => setMethod('token')} disabled={busy || done} /> Issue with a token
            </label>
            <label className="module-option">
              <input type="radio" name="cert-method" checked={method === 'cards'} onChange={() => setMethod('cards')} disabled={busy || done} /> My key is on share cards
            </label>
          </fieldset>
        ) : null}
        {confirmed && method === 'cards' ? (
          // Refused before any card is asked: a card typed here would be a secret entered for nothing.
          <RefusalPanel
            refusal={{ ok: false, code: 'CERTIFICATE_SHARE_CARDS_UNSUPPORTED', message: 'A key held on share cards cannot issue its renewed certificate in this app: the command-line tool’s sign step does it with the cards, on an offline machine.' }}
            title="Share cards cannot issue a certificate here"
            level={3}
            reassure="No card was asked for and nothing was issued."
          />
        ) : null}
        {confirmed && method === 'token' ? (
          <>
            <TokenKeyPicker name="cert-cosign" wanted={review.certificates.map((c) => ({ sha256: c.fingerprint.sha256, name: c.name }))} disabled={busy || done} onPick={(p) => {
                setPicked(p);
                setPhase({ step: 'choose' });
              }} />
            <div className="buttons">
              <button type="button" className="primary" disabled={!picked || busy || done} onClick={() => void check()}>
                Check this key
              </button>
            </div>
          </>
        ) : null}
        {!confirmed ? <p className="muted">Tick the box once the words match: only then can you choose your token.</p> : null}
        {phase.step === 'checking' ? (
          <p className="busy" aria-live="polite">
            <span className="spinner" aria-hidden="true" /> Checking the token (no PIN yet)…
          </p>
        ) : null}
        {checked ? (
          <div className="signer-found" role="status">
            <p>
              Key “{checked.key.label}” on token “{checked.token.label}” (serial <code>{checked.token.serial}</code>) is <strong>{checked.signer.name}</strong>’s root key: its token will issue the new certificate, valid until {formatDate(review.validity.notAfter)}; same key.
            </p>
            {phase.step === 'checked' ? (
              <div className="buttons">
                <button type="button" className="primary" onClick={() => setPhase({ step: 'pin', check: checked })}>
                  Issue the certificate…
                </button>
              </div>
            ) : null}
          </div>
        ) : null}
        {phase.step === 'signing' ? (
          <p className="busy" aria-live="polite">
            <progress aria-label="Issuing on the token" /> The token issues the certificate; checking it…
          </p>
        ) : null}
        {phase.step === 'signing' ? <TouchNowBanner check={phase.check} /> : null}
        {phase.step === 'refused' ? (
          <PinRetryRefusal
            refusal={phase.refusal}
            title="No certificate issued"
            reassure="Nothing was issued and no response was written."
            canRetry={Boolean(phase.check)}
            onRetry={() => void check('The last PIN was not accepted. Check it before trying again.')}
          />
        ) : null}
      </section>
      {phase.step === 'pin' ? (
        <PinDialog
          token={phase.check.token}
          purpose={`issue a new certificate for ${phase.check.signer.name}’s key, valid until ${formatDate(review.validity.notAfter)} (request short hash ${review.digest.grouped})`}
          submitLabel="Issue"
          rehearsal={picked?.rehearsal ?? false}
          {...(phase.notice ? { notice: phase.notice } : {})}
          onSubmit={(pin) => void sign(pin, phase.check)}
          onCancel={() => setPhase({ step: 'checked', check: phase.check })}
        />
      ) : null}
      {phase.step === 'signed' ? (
        <ResponseWritten path={phase.signed.written.path} transcript={phase.signed.transcript.name}>
          <p>
            {phase.signed.signer.name}’s new certificate for the same key, valid until {formatDate(phase.signed.certificate.notAfter)}
            {phase.signed.signer.tokenSerial ? `, issued on token serial ${phase.signed.signer.tokenSerial}` : ''}; it was checked (same key, the requested dates, the repository’s name, its signature) before it was written.
          </p>
          {phase.signed.witnesses.length ? <p>Witnesses recorded in the response: {phase.signed.witnesses.join(', ')}.</p> : null}
          <p className="muted">Give the response file to the administrator. It holds your new certificate only, no secret. You will sign the new root in a second request.</p>
        </ResponseWritten>
      ) : null}
    </>
  );
}
