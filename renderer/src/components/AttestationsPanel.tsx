import type { Inspection } from '../../../electron/shared/api-types.js';
import { explainCode, plainMessage } from '../lib/format';

const MARK = { verified: '✓', none: '–', refused: '✗' } as const;
const WORD = { verified: 'Attested', none: 'No attestation', refused: 'Refused' } as const;

/**
 * attestations.json as the core checked it (src/attestation/repository.ts): per key, the sentence "key …
 * was generated on YubiKey serial …, firmware …, PIN policy …, touch policy …", or why not. Shown only when
 * the opened metadata carries the file. Chains are checked against Yubico's bundled roots only.
 */
export function AttestationsPanel({ report }: { report: NonNullable<Inspection['attestations']> }) {
  return (
    <section className="panel attestations" aria-labelledby="attestations-title">
      <h2 id="attestations-title">Where the keys were generated</h2>
      <p className="lede">From attestations.json, checked against Yubico’s attestation roots and the keys root.json lists.</p>
      {report.error ? (
        <p className="attestation refused" role="alert">
          <code className="code">{report.error.code}</code> {plainMessage(report.error.message, report.error.path)}
        </p>
      ) : null}
      <ul className="attestation-list">
        {report.keys.map((k) => (
          <li key={k.keyId} className={`attestation ${k.status}`}>
            <span className="badge">
              <span aria-hidden="true">{MARK[k.status]} </span>
              {WORD[k.status]}
              {k.code ? (
                <>
                  {' '}
                  <code className="code">{k.code}</code>
                </>
              ) : null}
            </span>
            <p className="sentence">{plainMessage(k.sentence)}</p>
            {k.code && explainCode(k.code) ? <p className="explain">{explainCode(k.code)}</p> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
