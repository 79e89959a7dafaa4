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
import { groupWords, witnessNames } from '../lib/format';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { ConfirmBox, CosignPin, CosignProgress, MethodChoice, PickAndCheck, useTokenCosign, WitnessField } from '../rotation/CosignSteps';
import { CAPS, isRefusal, readPickedFile } from '../rotation/files';
import { ReviewPanel } from '../rotation/ReviewPanel';
import { ResponseWritten, WitnessesRecorded } from '../rotation/ResponseWritten';
// --- shamir
import { CosignWithCards } from '../shamir/CosignWithCards';
import '../rotation/rotation.css';
// --- certificate requests (issue #14): their own review and flow.
import { CertificateCosign, isCertificateRequestFile } from '../rotation/CertificateCosign';

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
  // A two-part request: the words of the part the checked key signs, confirmed after the check.
  const [partConfirmed, setPartConfirmed] = useState(false);
  const twoParts = review?.changes.some((c) => c.kind === 'revoke-tags') ?? false;
  // --- shamir: sign on a token, or with the key rebuilt from share cards.
  const [method, setMethod] = useState<'token' | 'cards'>('token');
  // The optional witness line (issue #16): names recorded in the response.
  const [witnessText, setWitnessText] = useState('');
  const witnesses = witnessNames(witnessText);
  // Before the PIN dialog: the chosen key must be a root key of this request (main checks on the token).
  const cosign = useTokenCosign<{ api: NonNullable<typeof api>; request: NamedFile }, RotationSignerCheckView, RotationSignedView>(api && request ? { api, request } : undefined, {
    check: (w, picked) => {
      setPartConfirmed(false);
      return w.api.rotationCheckSigner({ request: w.request, module: picked.module, token: { serial: picked.token.serial, label: picked.token.label }, keyLabel: picked.key.label });
    },
    // The PIN goes straight into the one request that uses it; the confirmed hash (this key's part) with it.
    sign: (w, picked, c, pin) => w.api.rotationSign({ request: w.request, module: picked.module, token: { serial: c.token.serial, label: c.token.label }, keyLabel: c.key.label, confirmedSha256: c.signs.digest.sha256, pin, ...(witnesses.length ? { witnesses } : {}) }),
  });
  const { phase, setPhase } = cosign;

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

  const check_ = cosign.checked;
  const busy = cosign.busy;
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
            <ConfirmBox
              checked={confirmed}
              // Unticked: the checked key is forgotten, so no PIN is asked for words nobody confirmed (review D2).
              onChange={(v) => {
                setConfirmed(v);
                if (!v) cosign.pick(undefined);
              }}
              disabled={busy || phase.step === 'signed'}
            >
              {twoParts ? (
                <>I read the changes above, both parts. Each part has its own hash words: you confirm those of the part your key signs once the key is checked.</>
              ) : (
                <>
                  I read the changes above, and the words <strong>{groupWords(review.digest.words)}</strong> match the ones the administrator read out.
                </>
              )}
            </ConfirmBox>
            {confirmed ? <WitnessField text={witnessText} onText={setWitnessText} witnesses={witnesses} disabled={busy || phase.step === 'signed'} /> : null}
            {confirmed ? <MethodChoice label="Sign with" name="cosign-method" method={method} onMethod={setMethod} disabled={busy || phase.step === 'signed'} token="Sign with a token" cards="Sign with share cards" /> : null}
            {confirmed && method === 'cards' && request ? <CosignWithCards request={request} review={review} sideText={sideText} witnesses={witnesses} /> : null}
            {confirmed && method === 'token' ? <PickAndCheck name="cosign" wanted={review.expectedSigners.map((s) => ({ sha256: s.fingerprint.sha256, name: s.name }))} cosign={cosign} /> : null}
            {!confirmed ? <p className="muted">Tick the box once the words match: only then can you choose your token or enter your share cards.</p> : null}
            <CosignProgress
              cosign={cosign}
              confirmed={confirmed}
              found={(c) => (
                <>
                  <p>
                    Key “{c.key.label}” on token “{c.token.label}” (serial <code>{c.token.serial}</code>) is <strong>{c.signer.name}</strong>’s key in {sideText(c.signer.from)}.
                  </p>
                  {c.signer.lost ? <p className="pin-notice">This key was reported lost in the request: signing with it still counts, but check with the administrator first.</p> : null}
                  {c.signs.part ? (
                    <ConfirmBox checked={partConfirmed} onChange={setPartConfirmed} disabled={phase.step !== 'checked'}>
                      You sign part {c.signs.part.index} of {c.signs.part.of}: {c.signs.file} v{c.signs.version}. Its words <strong>{groupWords(c.signs.digest.words)}</strong> (short hash <code>{c.signs.digest.grouped}</code>) match the ones the administrator read out for this part.
                    </ConfirmBox>
                  ) : null}
                </>
              )}
              proceed={{ label: 'Sign with this key…', disabled: !!check_?.signs.part && !partConfirmed }}
              working={{ label: 'Signing on the token', text: 'Signing on the token and checking the signature…' }}
              refused={{ title: 'Not signed', reassure: 'Nothing was signed and no response was written.' }}
            />
          </section>
        </>
      ) : null}
      <CosignPin
        cosign={cosign}
        purpose={(c) => `sign ${c.signs.part ? `part ${c.signs.part.index} of 2, ` : ''}${c.signs.file} version ${c.signs.version} as ${c.signer.name} (short hash ${c.signs.digest.grouped})`}
        submitLabel="Sign"
      />
      {phase.step === 'signed' ? (
        <ResponseWritten path={phase.signed.written.path} transcript={phase.signed.transcript.name}>
          <p>
            Signed as {phase.signed.signer.name}
            {phase.signed.signer.tokenSerial ? ` on token serial ${phase.signed.signer.tokenSerial}` : ''}; the signature was verified before it was written. With this response alone: {phase.signed.status}.
          </p>
          <WitnessesRecorded witnesses={phase.signed.witnesses} />
          <p className="muted">Give the response file to the administrator. It holds signatures only, no secret.</p>
        </ResponseWritten>
      ) : null}
    </div>
  );
}
