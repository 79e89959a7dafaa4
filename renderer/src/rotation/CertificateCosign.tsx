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
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi } from '../lib/api';
import { formatDate, groupWords, witnessNames } from '../lib/format';
import { ConfirmBox, CosignPin, CosignProgress, HashWordsPanel, MethodChoice, PickAndCheck, useTokenCosign, WitnessField } from './CosignSteps';
import { ResponseWritten, WitnessesRecorded } from './ResponseWritten';

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
      <HashWordsPanel headingId="cert-hash-h" heading="Short hash of this request — read aloud and compare" digest={review.digest} fullLabel="Full SHA-256 (the request ID)" />
    </>
  );
}

export function CertificateCosign({ request, review }: { request: NamedFile; review: CertificateReviewView }) {
  const api = ceremonyApi();
  const [confirmed, setConfirmed] = useState(false);
  const [method, setMethod] = useState<'token' | 'cards'>('token');
  const [witnessText, setWitnessText] = useState('');
  const witnesses = witnessNames(witnessText);
  // Before the PIN dialog: the chosen key must be one whose certificate the request renews (main checks on the token).
  const cosign = useTokenCosign<NonNullable<typeof api>, CertificateSignerCheckView, CertificateSignedView>(api, {
    check: (bridge, picked) => bridge.certificateCheckSigner({ request, module: picked.module, token: { serial: picked.token.serial, label: picked.token.label }, keyLabel: picked.key.label }),
    // The PIN goes straight into the one request that uses it; the confirmed request ID with it.
    sign: (bridge, picked, c, pin) => bridge.certificateSign({ request, module: picked.module, token: { serial: c.token.serial, label: c.token.label }, keyLabel: c.key.label, confirmedSha256: review.digest.sha256, pin, ...(witnesses.length ? { witnesses } : {}) }),
  });
  const { phase } = cosign;
  const locked = cosign.busy || cosign.done;

  return (
    <>
      <CertificateReviewPanel review={review} />
      <section className="panel" aria-labelledby="cert-confirm-h">
        <h2 id="cert-confirm-h">Confirm, then issue the certificate</h2>
        <ConfirmBox
          checked={confirmed}
          // Unticked: the checked key is forgotten, so no PIN is asked for words nobody confirmed (review D2).
          onChange={(v) => {
            setConfirmed(v);
            if (!v) cosign.pick(undefined);
          }}
          disabled={locked}
        >
          I read what my token will issue, and the words <strong>{groupWords(review.digest.words)}</strong> match the ones the administrator read out.
        </ConfirmBox>
        {confirmed ? <WitnessField text={witnessText} onText={setWitnessText} witnesses={witnesses} disabled={locked} /> : null}
        {confirmed ? <MethodChoice label="Issue with" name="cert-method" method={method} onMethod={setMethod} disabled={locked} token="Issue with a token" cards="My key is on share cards" /> : null}
        {confirmed && method === 'cards' ? (
          // Refused before any card is asked: a card typed here would be a secret entered for nothing.
          <RefusalPanel
            refusal={{ ok: false, code: 'CERTIFICATE_SHARE_CARDS_UNSUPPORTED', message: 'A key held on share cards cannot issue its renewed certificate in this app: the command-line tool’s sign step does it with the cards, on an offline machine.' }}
            title="Share cards cannot issue a certificate here"
            level={3}
            reassure="No card was asked for and nothing was issued."
          />
        ) : null}
        {confirmed && method === 'token' ? <PickAndCheck name="cert-cosign" wanted={review.certificates.map((c) => ({ sha256: c.fingerprint.sha256, name: c.name }))} cosign={cosign} /> : null}
        {!confirmed ? <p className="muted">Tick the box once the words match: only then can you choose your token.</p> : null}
        <CosignProgress
          cosign={cosign}
          confirmed={confirmed}
          found={(checked) => (
            <p>
              Key “{checked.key.label}” on token “{checked.token.label}” (serial <code>{checked.token.serial}</code>) is <strong>{checked.signer.name}</strong>’s root key: its token will issue the new certificate, valid until {formatDate(review.validity.notAfter)}; same key.
            </p>
          )}
          proceed={{ label: 'Issue the certificate…' }}
          working={{ label: 'Issuing on the token', text: 'The token issues the certificate; checking it…' }}
          refused={{ title: 'No certificate issued', reassure: 'Nothing was issued and no response was written.' }}
        />
      </section>
      <CosignPin cosign={cosign} purpose={(c) => `issue a new certificate for ${c.signer.name}’s key, valid until ${formatDate(review.validity.notAfter)} (request short hash ${review.digest.grouped})`} submitLabel="Issue" />
      {phase.step === 'signed' ? (
        <ResponseWritten path={phase.signed.written.path} transcript={phase.signed.transcript.name}>
          <p>
            {phase.signed.signer.name}’s new certificate for the same key, valid until {formatDate(phase.signed.certificate.notAfter)}
            {phase.signed.signer.tokenSerial ? `, issued on token serial ${phase.signed.signer.tokenSerial}` : ''}; it was checked (same key, the requested dates, the repository’s name, its signature) before it was written.
          </p>
          <WitnessesRecorded witnesses={phase.signed.witnesses} />
          <p className="muted">Give the response file to the administrator. It holds your new certificate only, no secret. You will sign the new root in a second request.</p>
        </ResponseWritten>
      ) : null}
    </>
  );
}
