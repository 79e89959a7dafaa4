import type { FingerprintView } from '../../../electron/shared/api-types.js';
import { groupedFingerprint, groupWords, shortFingerprint } from '../lib/format';

/**
 * A key fingerprint as the witnesses compare it: the PGP words of its first 16 bytes (128 bits), large, to
 * read aloud in groups of four; the same 32 hex digits in groups of four; and the full SHA-256 in groups of four.
 */
export function FingerprintReadout({ fingerprint, headingId }: { fingerprint: FingerprintView; headingId?: string }) {
  return (
    <div className="fp-readout">
      <p className="fp-aloud-label" id={headingId}>
        Read aloud
      </p>
      <ol className="fp-words" aria-label="Fingerprint words, to read aloud">
        {fingerprint.words.map((w, i) => (
          <li key={i}>{w}</li>
        ))}
      </ol>
      <dl className="fp-forms">
        <div>
          <dt>Fingerprint (short)</dt>
          <dd>
            <code className="fp-short">{shortFingerprint(fingerprint.sha256)}</code>
          </dd>
        </div>
        <div>
          <dt>Full SHA-256 of the public key</dt>
          <dd>
            <code className="fp-full">{groupedFingerprint(fingerprint.sha256)}</code>
          </dd>
        </div>
      </dl>
    </div>
  );
}

/** The compact form for a table cell: short hex, and the words beneath. */
export function FingerprintCell({ fingerprint }: { fingerprint: FingerprintView }) {
  return (
    <>
      <code className="fingerprint" title={groupedFingerprint(fingerprint.sha256)}>
        {shortFingerprint(fingerprint.sha256)}
      </code>
      <span className="fp-cell-words">{groupWords(fingerprint.words)}</span>
    </>
  );
}
