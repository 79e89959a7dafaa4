/**
 * Co-sign (PRODUCT.md §2.4, issue #5): a threshold co-signer, on their own machine, opens a signing
 * request, reads what it changes in plain words (who is replaced, added or removed, the thresholds, the
 * expiry) and the short hash of the exact bytes as words to read aloud, confirms that the words match
 * what the administrator read out, chooses their token and key — checked to be a root key of the
 * request before any PIN is asked — enters the PIN in the PIN dialog (which names the token) and signs.
 * Main verifies the signature in software and writes the signature response (signatures only) to the
 * folder the co-signer chooses; it never overwrites a file.
 *
 * The confirmed hash travels with the signing call: main refuses to sign other bytes than those whose
 * words were confirmed here. A request that also revokes tags (issue #14) has two parts, each signed by
 * other keys: once the key is checked, main says which part it signs and that part's hash words, which the
 * co-signer confirms before the PIN (the words of the request's first part are not theirs to confirm). The screen never holds the PIN (the dialog's field is read once).
 *
 * A Notary root certificate request (issue #14, the first round of renewing root certificates with the same
 * keys) opens its own review and flow (rotation/CertificateCosign.tsx): the token issues a new certificate for
 * the custodian's key; nothing is signed for root.json in that step.
 */
import { useRef, useState } from 'react';
import type { CertificateReviewView, NamedFile, RotationReviewView, RotationSignedView, RotationSignerCheckView } from '../../../electron/shared/api-types.js';
import { PinDialog } from '../components/PinDialog';
import { groupWords, witnessNames } from '../lib/format';
import { RefusalPanel } from '../components/RefusalPanel';
import { PinRetryRefusal, TouchNowBanner } from '../rotation/TokenSignStatus';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { CAPS, isRefusal, readPickedFile } from '../rotation/files';
import { ReviewPanel } from '../rotation/ReviewPanel';
import { ResponseWritten } from '../rotation/ResponseWritten';
import { TokenKeyPicker, type PickedKey } from '../rotation/TokenKeyPicker';
// --- shamir
import { CosignWithCards } from '../shamir/CosignWithCards';
import '../rotation/rotation.css';
// --- certificate requests (issue #14): their own review and flow.
import { CertificateCosign, isCertificateRequestFile } from '../rotation/CertificateCosign';

type Phase =
  | { step: 'choose' }
  | { step: 'checking' }
  | { step: 'checked'; check: RotationSignerCheckView }
  | { step: 'pin'; check: RotationSignerCheckView; notice?: string }
  | { step: 'signing'; check: RotationSignerCheckView }
  | { step: 'signed'; signed: RotationSignedView }
  | { step: 'refused'; refusal: Refusal; check?: RotationSignerCheckView };

function sideText(from: RotationSignerCheckView['signer']['from']): string {
  return from === 'both' ? 'the old and the new root' : from === 'previous' ? 'the old root' : from === 'new' ? 'the new root' : 'the targets role';
}

export function CosignScreen() {
  const api = ceremonyApi();
  const requestInput = useRef<HTMLInputElement>(null);
  const [request, setRequest] = useState<NamedFile | undefined>();
  const [review, setReview] = useState<RotationReviewView | undefined>();
  // A Notary root certificate request (issue #14): the token issues a certificate, nothing is signed for root.json.
  const [certificateReview, setCertificateReview] = useState<CertificateReviewView | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [confirmed, setConfirmed] = useState(false);
  const [picked, setPicked] = useState<PickedKey | undefined>();
  const [phase, setPhase] = useState<Phase>({ step: 'choose' });
  // A two-part request: the words of the part the checked key signs, confirmed after the check.
  const [partConfirmed, setPartConfirmed] = useState(false);
  const twoParts = review?.changes.some((c) => c.kind === 'revoke-tags') ?? false;
  // --- shamir: sign on a token, or with the key rebuilt from share cards.
  const [method, setMethod] = useState<'token' | 'cards'>('token');
  // The optional witness line (issue #16): names recorded in the response.
  const [witnessText, setWitnessText] = useState('');
  const witnesses = witnessNames(witnessText);

  async function open(input: HTMLInputElement) {
    const f = await readPickedFile(input, CAPS.request);
    if (!f) return;
    setRefusal(undefined);
    setReview(undefined);
    setCertificateReview(undefined);
    setConfirmed(false);
    setPhase({ step: 'choose' });
    if (isRefusal(f)) return setRefusal(f);
    if (isCertificateRequestFile(f.bytes)) {
      try {
        const r = api ? await api.certificateReview({ request: f }) : NO_BRIDGE;
        if (r.ok) {
          setRequest(f);
          setCertificateReview(r.value);
        } else setRefusal(r);
      } catch (err) {
        setRefusal(unexpected(err));
      }
      return;
    }
    try {
      const r = api ? await api.rotationReview({ request: f }) : NO_BRIDGE;
      if (r.ok) {
        setRequest(f);
        setReview(r.value);
      } else setRefusal(r);
    } catch (err) {
      setRefusal(unexpected(err));
    }
  }

  /** Before the PIN dialog: the chosen key must be a root key of this request (main checks on the token). */
  async function check(notice?: string) {
    if (!picked || !request || !api) return;
    setPhase({ step: 'checking' });
    setPartConfirmed(false);
    try {
      const r = await api.rotationCheckSigner({ request, module: picked.module, token: { serial: picked.token.serial, label: picked.token.label }, keyLabel: picked.key.label });
      if (!r.ok) return setPhase({ step: 'refused', refusal: r });
      if (r.value.token.pinStatus === 'locked') {
        return setPhase({ step: 'refused', refusal: { ok: false, code: 'PIN_LOCKED', message: `The PIN of token “${r.value.token.label}” (serial ${r.value.token.serial}) is locked; no PIN was asked.` } });
      }
      setPhase(notice ? { step: 'pin', check: r.value, notice } : { step: 'checked', check: r.value });
    } catch (err) {
      setPhase({ step: 'refused', refusal: unexpected(err) });
    }
  }

  async function sign(pin: string, c: RotationSignerCheckView) {
    if (!picked || !request || !review || !api) return;
    setPhase({ step: 'signing', check: c });
    try {
      // The PIN goes straight into the one request that uses it; the confirmed hash (this key's part) with it.
      const r = await api.rotationSign({ request, module: picked.module, token: { serial: c.token.serial, label: c.token.label }, keyLabel: c.key.label, confirmedSha256: c.signs.digest.sha256, pin, ...(witnesses.length ? { witnesses } : {}) });
      setPhase(r.ok ? { step: 'signed', signed: r.value } : { step: 'refused', refusal: r, check: c });
    } catch (err) {
      setPhase({ step: 'refused', refusal: unexpected(err), check: c });
    }
  }

  const check_ = phase.step === 'checked' || phase.step === 'pin' || phase.step === 'signing' ? phase.check : undefined;
  const busy = phase.step === 'checking' || phase.step === 'signing';
  return (
    <div className="screen cosign">
      <header className="screen-head">
        <h1>Co-sign</h1>
        <p className="lede">Read what a signing request changes, compare its hash words with the administrator, and sign it with your token or your share cards. Your signature goes into a response file; nothing else leaves this machine.</p>
      </header>
      {!api ? <RefusalPanel refusal={NO_BRIDGE} title="Not connected" reassure={null} reveal={false} /> : null}
      <section className="panel controls" aria-label="Open the signing request">
        <div className="buttons">
          <button type="button" className="primary" onClick={() => requestInput.current?.click()} disabled={busy}>
            Signing request…
          </button>
          <span className="muted">{request ? `Opened: ${request.name}` : 'The request file the administrator gave you.'}</span>
        </div>
        <input ref={requestInput} type="file" accept=".json,application/json" hidden aria-label="Signing request file" onChange={(e) => void open(e.currentTarget)} />
      </section>
      {refusal ? <RefusalPanel refusal={refusal} title="Request refused" reassure="Nothing was signed." /> : null}
      {certificateReview && request ? <CertificateCosign key={certificateReview.requestId} request={request} review={certificateReview} /> : null}
      {review ? (
        <>
          <ReviewPanel review={review} />
          <section className="panel" aria-labelledby="confirm-h">
            <h2 id="confirm-h">Confirm, then sign</h2>
            <label className="rotation-confirm">
              <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.currentTarget.checked)} disabled={busy || phase.step === 'signed'} />
              <span>
                {twoParts ? (
                  <>I read the changes above, both parts. Each part has its own hash words: you confirm those of the part your key signs once the key is checked.</>
                ) : (
                  <>
                    I read the changes above, and the words <strong>{groupWords(review.digest.words)}</strong> match the ones the administrator read out.
                  </>
                )}
              </span>
            </label>
            {confirmed ? (
              <label className="field">
                <span>Witnesses present (optional, one name per line)</span>
                <textarea rows={2} value={witnessText} onChange={(e) => setWitnessText(e.currentTarget.value)} spellCheck={false} autoComplete="off" disabled={busy || phase.step === 'signed'} />
                <span className="muted" aria-live="polite">
                  {witnesses.length ? `Recorded in the response as witnesses: ${witnesses.join(', ')}.` : 'No witness named: the response records none.'}
                </span>
              </label>
            ) : null}
            {confirmed ? (
              <fieldset className="rehearse-options" aria-label="Sign with">
                <label className="module-option">
                  <input type="radio" name="cosign-method" checked={method === 'token'} onChange={() => setMethod('token')} disabled={busy || phase.step === 'signed'} /> Sign with a token
                </label>
                <label className="module-option">
                  <input type="radio" name="cosign-method" checked={method === 'cards'} onChange={() => setMethod('cards')} disabled={busy || phase.step === 'signed'} /> Sign with share cards
                </label>
              </fieldset>
            ) : null}
            {confirmed && method === 'cards' && request ? <CosignWithCards request={request} review={review} sideText={sideText} witnesses={witnesses} /> : null}
            {confirmed && method === 'token' ? (
              <>
                <TokenKeyPicker name="cosign" wanted={review.expectedSigners.map((s) => ({ sha256: s.fingerprint.sha256, name: s.name }))} disabled={busy || phase.step === 'signed'} onPick={(p) => {
                    setPicked(p);
                    setPhase({ step: 'choose' });
                  }} />
                <div className="buttons">
                  <button type="button" className="primary" disabled={!picked || busy || phase.step === 'signed'} onClick={() => void check()}>
                    Check this key
                  </button>
                </div>
              </>
            ) : null}
            {!confirmed ? <p className="muted">Tick the box once the words match: only then can you choose your token or enter your share cards.</p> : null}
            {phase.step === 'checking' ? (
              <p className="busy" aria-live="polite">
                <span className="spinner" aria-hidden="true" /> Checking the token (no PIN yet)…
              </p>
            ) : null}
            {check_ ? (
              <div className="signer-found" role="status">
                <p>
                  Key “{check_.key.label}” on token “{check_.token.label}” (serial <code>{check_.token.serial}</code>) is <strong>{check_.signer.name}</strong>’s key in {sideText(check_.signer.from)}.
                </p>
                {check_.signer.lost ? <p className="pin-notice">This key was reported lost in the request: signing with it still counts, but check with the administrator first.</p> : null}
                {check_.signs.part ? (
                  <label className="rotation-confirm">
                    <input type="checkbox" checked={partConfirmed} onChange={(e) => setPartConfirmed(e.currentTarget.checked)} disabled={phase.step !== 'checked'} />
                    <span>
                      You sign part {check_.signs.part.index} of {check_.signs.part.of}: {check_.signs.file} v{check_.signs.version}. Its words <strong>{groupWords(check_.signs.digest.words)}</strong> (short hash <code>{check_.signs.digest.grouped}</code>) match the ones the administrator read out for this part.
                    </span>
                  </label>
                ) : null}
                {phase.step === 'checked' ? (
                  <div className="buttons">
                    <button type="button" className="primary" disabled={!!check_.signs.part && !partConfirmed} onClick={() => setPhase({ step: 'pin', check: check_ })}>
                      Sign with this key…
                    </button>
                  </div>
                ) : null}
              </div>
            ) : null}
            {phase.step === 'signing' ? (
              <p className="busy" aria-live="polite">
                <progress aria-label="Signing on the token" /> Signing on the token and checking the signature…
              </p>
            ) : null}
            {phase.step === 'signing' ? <TouchNowBanner check={phase.check} /> : null}
            {phase.step === 'refused' ? (
              <PinRetryRefusal
                refusal={phase.refusal}
                title="Not signed"
                reassure="Nothing was signed and no response was written."
                canRetry={Boolean(phase.check)}
                onRetry={() => void check('The last PIN was not accepted. Check it before trying again.')}
              />
            ) : null}
          </section>
        </>
      ) : null}
      {phase.step === 'pin' ? (
        <PinDialog
          token={phase.check.token}
          purpose={`sign ${phase.check.signs.part ? `part ${phase.check.signs.part.index} of 2, ` : ''}${phase.check.signs.file} version ${phase.check.signs.version} as ${phase.check.signer.name} (short hash ${phase.check.signs.digest.grouped})`}
          submitLabel="Sign"
          rehearsal={picked?.rehearsal ?? false}
          {...(phase.notice ? { notice: phase.notice } : {})}
          onSubmit={(pin) => void sign(pin, phase.check)}
          onCancel={() => setPhase({ step: 'checked', check: phase.check })}
        />
      ) : null}
      {phase.step === 'signed' ? (
        <ResponseWritten path={phase.signed.written.path} transcript={phase.signed.transcript.name}>
          <p>
            Signed as {phase.signed.signer.name}
            {phase.signed.signer.tokenSerial ? ` on token serial ${phase.signed.signer.tokenSerial}` : ''}; the signature was verified before it was written. With this response alone: {phase.signed.status}.
          </p>
          {phase.signed.witnesses.length ? <p>Witnesses recorded in the response: {phase.signed.witnesses.join(', ')}.</p> : null}
          <p className="muted">Give the response file to the administrator. It holds signatures only, no secret.</p>
        </ResponseWritten>
      ) : null}
    </div>
  );
}
