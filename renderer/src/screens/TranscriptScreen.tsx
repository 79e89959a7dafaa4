/**
 * The transcript (PRODUCT.md §2.7): open a `transcript.jsonl`, check its hash chain and seal in the core
 * (verifyTranscript), say who sealed it (key ID, fingerprint as hex and words) and whether that is the
 * key the auditor expected, and show every step. A changed, cut or reordered file is refused with its
 * code and where (line and JSON path).
 *
 * Issue #16: a valid seal by an unknown key proves only that *someone* sealed the chain, so without an
 * expected key the outcome is amber ("chain intact, sealed by key … — not compared"), never green; the
 * key can be entered afterwards and the same file compared again. Print sends the page to the printer.
 *
 * Issue #16: a folder's transcripts are listed — the root ceremony's and every session's (rotate, sign,
 * merge, import, publish), found by their header in main (src/audit/transcript-list.ts) — each with its
 * kind, date and seal state (sealed by whose key, an unsealed chain, or refused), and each opens here.
 * Keys are named by their holders only from root transcripts sealed by an anchored key (the completed
 * ceremony’s own seal key, or the expected key entered here): electron/main/transcript-folder.ts.
 */
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { useReveal } from '../lib/reveal';
import { formatDate, plainMessage, shortKeyId } from '../lib/format';
import type { IpcResult, TranscriptListItemView, TranscriptListView, TranscriptView } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { holderPhrase, TranscriptSteps, TranscriptSummary } from '../components/TranscriptSteps';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';

const MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024;

/** How to verify the opened transcript again with another expected key: its bytes, or its name in main's listing. */
type Verify = (key: string) => Promise<IpcResult<TranscriptView>>;

type Outcome = { opened: string } & ({ kind: 'busy' } | { kind: 'ok'; t: TranscriptView; again: Verify } | { kind: 'refused'; refusal: Refusal });

type Listing = { state: 'busy' } | { state: 'ok'; view: TranscriptListView } | { state: 'refused'; refusal: Refusal };

const isKey = (text: string): boolean => /^[0-9a-fA-F]{64}$/.test(text.trim());

/** The outcome banner: green only when the seal is by the expected key. */
function SealBanner({ opened, t, onCompare }: { opened: string; t: TranscriptView; onCompare: (key: string) => void }) {
  const [later, setLater] = useState('');
  const ref = useReveal<HTMLElement>(`${opened}\u0000${t.sealedBy?.keyId ?? ''}\u0000${t.expectedKey?.given ?? ''}`);
  const steps = `The hash chain of ${t.entries.length} steps is intact`;
  if (!t.sealed)
    return (
      <section className="banner banner-none" role="status" ref={ref}>
        <h2>
          <span className="icon" aria-hidden="true">
            !
          </span>{' '}
          Unsealed: {opened}
        </h2>
        <p className="message">
          {t.kind === 'root'
            ? 'The chain is intact but there is no seal: the ceremony was interrupted, or the seal was removed.'
            : 'The chain is intact but there is no seal: this session had no signing key of its own to seal with (a rotation request, a merge, an import), so who ran it is not proven by it; its outputs prove themselves by their signatures.'}
        </p>
      </section>
    );
  if (t.expectedKey?.matches)
    return (
      <section className="banner banner-ok" role="status" ref={ref}>
        <h2>
          <span className="icon" aria-hidden="true">
            ✓
          </span>{' '}
          Verified: {opened}
        </h2>
        <p className="message">
          {steps}, and it is sealed by the expected key{t.sealedBy?.holder ? `, ${holderPhrase(t.sealedBy.holder)}` : ''}.
        </p>
      </section>
    );
  if (t.expectedKey)
    return (
      <section className="banner banner-none" role="status" ref={ref}>
        <h2>
          <span className="icon" aria-hidden="true">
            !
          </span>{' '}
          Sealed by another key: {opened}
        </h2>
        <p className="message">{steps}, but the seal is not by the key you gave.</p>
      </section>
    );
  return (
    <section className="banner banner-none" role="status" ref={ref}>
      <h2>
        <span className="icon" aria-hidden="true">
          !
        </span>{' '}
        Chain intact, sealed by key <code className="keyid">{shortKeyId(t.sealedBy?.keyId ?? '')}</code>
        {t.sealedBy?.holder ? ` (${holderPhrase(t.sealedBy.holder)})` : ''} — not compared
      </h2>
      <p className="message">
        {steps} and the seal’s signature is valid, but no expected sealing key was given: anyone with a key could have sealed it. Enter the key recorded at the ceremony to compare.
      </p>
      <label className="field">
        <span>Expected sealing key for {opened} (64 hex digits)</span>
        <input type="text" value={later} onChange={(e) => setLater(e.currentTarget.value)} spellCheck={false} autoComplete="off" aria-invalid={later.trim() !== '' && !isKey(later)} />
      </label>
      <div className="buttons">
        <button type="button" className="primary" disabled={!isKey(later)} onClick={() => onCompare(later.trim())}>
          Compare with this key
        </button>
      </div>
    </section>
  );
}

/** The seal state of a listed transcript in words, as `transcript verify` says it. */
function SealText({ item }: { item: TranscriptListItemView }) {
  const s = item.seal;
  if (s.state === 'sealed')
    return (
      <>
        Sealed by key{' '}
        <code className="keyid" title={s.keyId}>
          {shortKeyId(s.keyId)}
        </code>
        {s.holder ? ` (${holderPhrase(s.holder)})` : ''}
      </>
    );
  if (s.state === 'unsealed') return <>Unsealed chain: {s.why}</>;
  // Plain sentences (issue #16): the code is shown beside it; no JSON path as the message.
  return (
    <>
      Refused (<code>{s.code}</code>): {plainMessage(s.message, s.path)}
    </>
  );
}

/** The transcripts of a folder: kind, date, seal state, and a way to open each one. */
function TranscriptList({ view, busy, onOpen }: { view: TranscriptListView; busy: boolean; onOpen: (item: TranscriptListItemView) => void }) {
  const ref = useReveal<HTMLElement>(`${view.folder}\u0000${view.transcripts.map((t) => t.name).join('\u0000')}`);
  return (
    <section className="panel transcript-list" aria-labelledby="transcript-list-h" ref={ref}>
      <h2 id="transcript-list-h">
        {view.transcripts.length} transcript{view.transcripts.length === 1 ? '' : 's'} in {view.folder}
      </h2>
      <p className="message">
        {view.transcripts.length
          ? 'Found by their header, whatever their file names. Open one to read its steps and compare its seal with the key recorded at the ceremony.'
          : 'No transcript was found in this folder or its subfolders (the secret folder of share cards is never opened).'}
        {view.otherFiles ? ` ${view.otherFiles} other file${view.otherFiles === 1 ? '' : 's'} passed over.` : ''}
      </p>
      {view.transcripts.length ? (
        <table className="plan-table transcript-list-table">
          <caption className="sr-only">Transcripts in {view.folder}</caption>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Started</th>
              <th scope="col">Seal</th>
              <th scope="col">
                <span className="sr-only">Open</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {view.transcripts.map((item) => (
              <tr key={item.name} className={`seal-${item.seal.state}`}>
                <th scope="row">
                  <span className="list-kind">{item.kindTitle}</span>
                  {item.rehearsal ? <span className="muted"> (rehearsal)</span> : null}
                  <code className="list-file">{item.name}</code>
                  {item.repository ? <span className="muted block">{item.repository}</span> : null}
                </th>
                <td>{item.started ? formatDate(item.started) : '—'}</td>
                <td className="list-seal">
                  <span className="icon" aria-hidden="true">
                    {item.seal.state === 'sealed' ? '✓ ' : item.seal.state === 'unsealed' ? '! ' : '✗ '}
                  </span>
                  <SealText item={item} />
                  {item.seal.state === 'sealed' ? <span className="muted block">not yet compared with an expected key</span> : null}
                </td>
                <td>
                  <button type="button" className="secondary" disabled={busy} onClick={() => onOpen(item)} aria-label={`Open and verify ${item.name}`}>
                    Open and verify
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export function TranscriptScreen() {
  const input = useRef<HTMLInputElement>(null);
  const [expected, setExpected] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [listing, setListing] = useState<Listing | undefined>();
  const [ceremonyDone, setCeremonyDone] = useState(false);
  const api = ceremonyApi();
  const expectedOk = expected.trim() === '' || isKey(expected);

  // A ceremony completed in this session: its output folder can be listed without a dialog.
  useEffect(() => {
    let live = true;
    api
      ?.ceremonyStatus()
      .then((r) => {
        if (live && r.ok) setCeremonyDone(r.value.phase === 'done');
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api]);

  async function verify(name: string, again: Verify, key: string) {
    if (!api) return;
    setOutcome({ opened: name, kind: 'busy' });
    try {
      const r = await again(key);
      setOutcome(r.ok ? { opened: name, kind: 'ok', t: r.value, again } : { opened: name, kind: 'refused', refusal: r });
    } catch (err) {
      setOutcome({ opened: name, kind: 'refused', refusal: unexpected(err) });
    }
  }

  async function onOpen(e: ChangeEvent<HTMLInputElement>) {
    const el = e.currentTarget;
    const f = el.files?.[0];
    el.value = '';
    if (!f || !api) return;
    if (f.size > MAX_TRANSCRIPT_BYTES) {
      setOutcome({ opened: f.name, kind: 'refused', refusal: { ok: false, code: 'INPUT_TOO_LARGE', message: `${f.name} is ${f.size} bytes, over the cap of ${MAX_TRANSCRIPT_BYTES}` } });
      return;
    }
    const bytes = new Uint8Array(await f.arrayBuffer());
    const name = f.name;
    await verify(name, (key) => api.transcriptVerify({ file: { name, bytes }, ...(key ? { expectedSealKey: key } : {}) }), expected.trim());
  }

  async function list(from: 'choose' | 'ceremony') {
    if (!api) return;
    setListing({ state: 'busy' });
    try {
      const r = await api.transcriptList({ from });
      setListing(r.ok ? { state: 'ok', view: r.value } : { state: 'refused', refusal: r });
    } catch (err) {
      setListing({ state: 'refused', refusal: unexpected(err) });
    }
  }

  function openListed(item: TranscriptListItemView) {
    if (!api) return;
    const name = item.name;
    void verify(name, (key) => api.transcriptOpenListed({ name, ...(key ? { expectedSealKey: key } : {}) }), expectedOk ? expected.trim() : '');
  }

  function compareLater(key: string) {
    if (outcome?.kind !== 'ok') return;
    setExpected(key);
    void verify(outcome.opened, outcome.again, key);
  }

  return (
    <div className="screen transcript">
      <header className="screen-head">
        <h1>Transcript</h1>
        <p className="lede">Check a ceremony transcript’s hash chain and seal, offline, and read what happened step by step.</p>
      </header>
      {!api ? <RefusalPanel refusal={NO_BRIDGE} title="Not connected" reassure={null} reveal={false} /> : null}
      <section className="panel controls" aria-label="Open a transcript">
        <div className="control-row">
          <span className="step" aria-hidden="true">
            1
          </span>
          <div className="control-body">
            <h2 className="control-title">Expected sealing key (optional)</h2>
            <label className="field">
              <span>Key ID or fingerprint (64 hex digits), as recorded at the ceremony</span>
              <input type="text" value={expected} onChange={(e) => setExpected(e.currentTarget.value)} spellCheck={false} autoComplete="off" aria-invalid={!expectedOk} />
            </label>
            {!expectedOk ? <p className="pin-empty">That is not 64 hex digits.</p> : null}
          </div>
        </div>
        <div className="control-row">
          <span className="step" aria-hidden="true">
            2
          </span>
          <div className="control-body">
            <h2 className="control-title">Open</h2>
            <div className="buttons">
              <button type="button" className="primary" onClick={() => input.current?.click()} disabled={!api || !expectedOk || outcome?.kind === 'busy'}>
                Open transcript…
              </button>
            </div>
          </div>
        </div>
        <div className="control-row">
          <span className="step" aria-hidden="true">
            3
          </span>
          <div className="control-body">
            <h2 className="control-title">Or list a folder’s transcripts</h2>
            <p className="muted">The root ceremony’s transcript and every signing session’s — rotation requests, co-signatures, merges, imports — found in the folder and its subfolders.</p>
            <div className="buttons">
              <button type="button" className="primary" onClick={() => void list('choose')} disabled={!api || listing?.state === 'busy'}>
                List a folder’s transcripts…
              </button>
              {ceremonyDone ? (
                <button type="button" onClick={() => void list('ceremony')} disabled={!api || listing?.state === 'busy'}>
                  List this ceremony’s output folder
                </button>
              ) : null}
            </div>
          </div>
        </div>
        <input ref={input} type="file" accept=".jsonl,application/jsonl,text/plain" hidden aria-label="Transcript file" onChange={(e) => void onOpen(e)} />
      </section>
      {listing?.state === 'busy' ? (
        <p className="busy" aria-live="polite">
          <span className="spinner" aria-hidden="true" /> Looking for transcripts and verifying each one…
        </p>
      ) : null}
      {listing?.state === 'refused' ? <RefusalPanel refusal={listing.refusal} title="No transcripts listed" reassure="Nothing was read beyond the folder’s transcripts, and nothing was written." /> : null}
      {listing?.state === 'ok' ? <TranscriptList view={listing.view} busy={outcome?.kind === 'busy'} onOpen={openListed} /> : null}
      <div aria-live="polite" className="live">
        {outcome?.kind === 'busy' ? (
          <p className="busy">
            <span className="spinner" aria-hidden="true" /> Verifying {outcome.opened}…
          </p>
        ) : null}
        {outcome?.kind === 'refused' ? <RefusalPanel refusal={outcome.refusal} opened={outcome.opened} reassure="This file is not a transcript you can rely on: the chain or the seal does not hold." /> : null}
        {outcome?.kind === 'ok' ? (
          <div className="result">
            <SealBanner key={outcome.opened} opened={outcome.opened} t={outcome.t} onCompare={compareLater} />
            <div className="buttons no-print">
              <button type="button" className="secondary" onClick={() => window.print()}>
                Print…
              </button>
            </div>
            <TranscriptSummary t={outcome.t} />
            <TranscriptSteps t={outcome.t} />
          </div>
        ) : null}
        {!outcome ? (
          <p className="empty">
            Nothing opened yet. A root ceremony leaves <code>state/transcript.jsonl</code> in its output folder; each signing session (co-signing, merge, rotation request, import) leaves <code>FILE.transcript.jsonl</code> beside the file it wrote. List the folder to see them all.
          </p>
        ) : null}
      </div>
    </div>
  );
}
