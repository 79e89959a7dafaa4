/**
 * A signing request in plain words (PRODUCT.md §2.4 "review before signing"): what changes against the
 * previous version — who is replaced, added or removed, the threshold, the expiry — the expected
 * signers, and the short hash of the exact bytes to sign as words to read aloud, large, and as hex.
 * Shown to the co-signer before they sign and to the administrator before the request is written.
 */
import type { RotationReviewView } from '../../../electron/shared/api-types.js';
import { formatDate, groupWords } from '../lib/format';
import { HashWordsPanel } from './CosignSteps';
import './rotation.css';

function side(from: RotationReviewView['expectedSigners'][number]['from']): string {
  switch (from) {
    case 'both':
      return 'old and new root';
    case 'previous':
      return 'old root only';
    case 'new':
      return 'new root only';
    default:
      return 'targets role';
  }
}

/** Sentences shown apart from the list of changes (review-15a F5): the core's warnings, loud, and the differences its sentences do not say. */
const APART = new Set(['certificate-warning', 'also-changes']);

export function ReviewPanel({ review, headingLevel = 2 }: { review: RotationReviewView; headingLevel?: 2 | 3 }) {
  const H = headingLevel === 3 ? 'h3' : 'h2';
  const what = review.delegation ? review.delegation.file : review.role === 'targets' ? 'targets.json' : 'root';
  const warnings = review.changes.filter((c) => c.kind === 'certificate-warning');
  const also = review.changes.filter((c) => c.kind === 'also-changes');
  return (
    <>
      {warnings.length > 0 ? (
        // A Notary root certificate that ends before the root expires (the CLI's WARNING lines): for everyone in the room.
        <section className="banner banner-bad review-warnings" role="alert" aria-label="Review warnings">
          {warnings.map((w, i) => (
            <p key={i} className="message">
              {w.text}
            </p>
          ))}
        </section>
      ) : null}
      <section className="panel" aria-labelledby="review-changes-h">
        <H id="review-changes-h">
          What changes: {what} version {review.fromVersion} → {review.toVersion}
        </H>
        <p>
          {review.profile === 'notary' ? 'Notary repository (GUN)' : 'TUF repository'} <code>{review.repository}</code>
        </p>
        <ul className="rotation-changes" aria-label="Changes in plain words">
          {review.changes.filter((c) => !APART.has(c.kind) && c.kind !== 'expires' && c.kind !== 'targets-expires' && !(c.kind === 'threshold' && c.role === review.role)).map((c, i) => (
            <li key={i} className={`change-${c.kind}`}>
              {c.text}
            </li>
          ))}
          <li className="change-threshold-summary">{review.threshold}</li>
          <li className="change-expiry">
            {review.expires.from === review.expires.to
              ? `expiry stays ${formatDate(review.expires.to)}`
              : Date.parse(review.expires.to) < Date.parse(review.expires.from)
                ? `expiry SHORTENED to ${formatDate(review.expires.to)} (was ${formatDate(review.expires.from)})`
                : `expires ${formatDate(review.expires.to)} (was ${formatDate(review.expires.from)})`}
          </li>
        </ul>
        {also.length > 0 ? (
          <>
            {/* Review-15a F4: what else differs in the bytes to sign, by JSON path — nothing signed goes unsaid. */}
            <p className="warn-note">The bytes to sign also differ from the previous version in ways the sentences above do not say:</p>
            <ul className="rotation-changes" aria-label="Other differences in the signed bytes">
              {also.map((c, i) => (
                <li key={i} className="change-also-changes">
                  <code>{c.text.replace(/^also changes: /, '')}</code>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <p className="muted">Signatures: {review.policy}.</p>
        <table className="plan-table" aria-label="Expected signers">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Named (a label)</th>
              <th scope="col">Signs for</th>
            </tr>
          </thead>
          <tbody>
            {review.expectedSigners.map((s) => (
              <tr key={s.keyid}>
                {/* The key's identification first, its name after it and quoted: a name is a label (src/rotation/names.ts). */}
                <th scope="row">
                  <code title={s.keyid}>key {s.keyid.slice(0, 12)}…</code> <span className="fp-cell-words">fingerprint {groupWords(s.fingerprint.words)}</span>
                </th>
                <td className="signer-name">"{s.name}"</td>
                <td>{s.lost ? 'reported LOST: cannot sign, not waited for' : side(s.from)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted">Names are labels written by whoever made the request; the key IDs and fingerprints are what identify a key.</p>
      </section>
      <HashWordsPanel headingId="review-hash-h" heading="Short hash of the bytes to sign — read aloud and compare" digest={review.digest} fullLabel="Full SHA-256" level={headingLevel} />
    </>
  );
}
