/**
 * A verified transcript as people read it (the same facts as src/audit/render.ts's printable page): the
 * header, who sealed it (key ID and fingerprint as hex and words) and whether that is the expected key,
 * and every step with its actor, token, the digests shown (hex and words) and the files in and out.
 */
import type { TranscriptView } from '../../../electron/shared/api-types.js';
import { FingerprintCell } from './Fingerprint';
import { formatDate, shortKeyId, shortFingerprint, groupWords } from '../lib/format';

/** Who holds a key, as a phrase: a custodian's name, or what the key is (issue #16: names on keys). */
export function holderPhrase(holder: { name: string; custodian: boolean }): string {
  return holder.custodian ? `${holder.name}’s key` : holder.name;
}

function nameOfKeyId(t: TranscriptView, keyId: string): { name: string; custodian: boolean } | undefined {
  return t.keyNames?.find((k) => k.keyId === keyId);
}

function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

export function TranscriptSummary({ t }: { t: TranscriptView }) {
  return (
    <>
      {t.rehearsal ? (
        <p className="rehearsal-banner" role="note">
          REHEARSAL — this ceremony ran on rehearsal tokens. Keys and signatures made in it must never be trusted in production.
        </p>
      ) : null}
      {t.expectedKey && !t.expectedKey.matches ? (
        <section className="banner banner-bad" role="alert">
          <h2>
            <span className="icon" aria-hidden="true">
              ✗
            </span>{' '}
            NOT sealed by the expected key
          </h2>
          <p className="message">
            The chain is intact, but the seal is by key <code>{t.sealedBy?.keyId ?? 'none'}</code>, not by <code>{t.expectedKey.given}</code>.
          </p>
        </section>
      ) : null}
      <dl className="facts transcript-facts">
        <div>
          <dt>Ceremony</dt>
          <dd>
            <code>{t.kind}</code> · {t.profile === 'notary' ? 'Notary v1 (Docker Content Trust)' : 'TUF 1.0'}
          </dd>
        </div>
        <div>
          <dt>Repository</dt>
          <dd>
            <code>{t.repository}</code>
          </dd>
        </div>
        <div>
          <dt>Plan intent hash</dt>
          <dd>
            <code className="fp-short">{t.planHash.grouped.split(' ').slice(0, 8).join(' ')}</code> <span className="fp-cell-words">{groupWords(t.planHash.words)}</span>
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatDate(t.started)}</dd>
        </div>
        <div>
          <dt>Seal</dt>
          <dd className="seal-by">
            {t.sealedBy ? (
              <>
                <span>
                  {t.sealed ? 'Sealed' : 'Not sealed'} at {time(t.sealedBy.time)} UTC by key <code title={t.sealedBy.keyId}>{shortKeyId(t.sealedBy.keyId)}</code> ({t.sealedBy.keytype})
                  {t.sealedBy.holder ? <strong className="seal-holder"> — {holderPhrase(t.sealedBy.holder)}</strong> : null}
                  {t.expectedKey?.matches ? <strong className="ok-word"> ✓ the expected key</strong> : null}
                </span>
                <span className="seal-fp">
                  Fingerprint <FingerprintCell fingerprint={t.sealedBy.fingerprint} />
                </span>
              </>
            ) : (
              <strong>Not sealed: nothing vouches that this record is complete.</strong>
            )}
          </dd>
        </div>
        <div>
          <dt>Entries</dt>
          <dd>{t.entries.length}</dd>
        </div>
      </dl>
      {t.keyNames?.length ? (
        <table className="plan-table key-names">
          <caption>Keys and who holds them (from the sealed ceremony transcript)</caption>
          <thead>
            <tr>
              <th scope="col">Held by</th>
              <th scope="col">Key ID</th>
              <th scope="col">Fingerprint</th>
            </tr>
          </thead>
          <tbody>
            {t.keyNames.map((k) => (
              <tr key={k.fingerprint}>
                <th scope="row" className="holder">
                  {k.name}
                </th>
                <td>{k.keyId ? <code className="keyid" title={k.keyId}>{shortKeyId(k.keyId)}</code> : '—'}</td>
                <td>
                  <code className="fingerprint" title={k.fingerprint}>
                    {shortFingerprint(k.fingerprint)}
                  </code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {t.problems.length ? (
        <ul className="problem-list">
          {t.problems.map((p, i) => (
            <li key={i}>
              <code>{p.code}</code> {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

export function TranscriptSteps({ t }: { t: TranscriptView }) {
  return (
    <table className="transcript-steps">
      <caption className="sr-only">Transcript steps of {t.fileName}</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Time (UTC)</th>
          <th scope="col">Step, actor, token</th>
          <th scope="col">Shown to people</th>
          <th scope="col">Files in / out</th>
        </tr>
      </thead>
      <tbody>
        {t.entries.map((e) => (
          <tr key={e.seq}>
            <td>{e.seq}</td>
            <td className="nowrap">{time(e.time)}</td>
            <td>
              <code className="step-name">{e.step}</code>
              <span className="step-actor">
                {e.actor.name} ({e.actor.role})
              </span>
              {e.token ? (
                <span className="step-token">
                  token {e.token.label ? `“${e.token.label}” ` : ''}serial <code>{e.token.serial}</code>
                  {e.token.keyId ? (
                    <>
                      {' '}
                      key <code title={e.token.keyId}>{shortKeyId(e.token.keyId)}</code>
                      {nameOfKeyId(t, e.token.keyId) ? <span className="step-key-holder"> ({holderPhrase(nameOfKeyId(t, e.token.keyId)!)})</span> : null}
                    </>
                  ) : null}
                </span>
              ) : null}
              {e.note ? <span className="step-note">{e.note}</span> : null}
            </td>
            <td>
              {e.digests.map((d, i) => (
                <span className="step-digest" key={i}>
                  {d.label}: <code>{(d.short.match(/.{1,4}/g) ?? []).join(' ')}</code> <span className="fp-cell-words">{groupWords(d.words)}</span>
                </span>
              ))}
            </td>
            <td>
              {[...e.inputs.map((f) => ['in', f] as const), ...e.outputs.map((f) => ['out', f] as const)].map(([dir, f], i) => (
                <span className="step-file" key={i}>
                  {dir === 'in' ? '← ' : '→ '}
                  {f.name} <code title={f.sha256}>{f.sha256.slice(0, 8)}</code>
                </span>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
