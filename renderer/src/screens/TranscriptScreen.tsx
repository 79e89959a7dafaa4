/**
 * The transcript (PRODUCT.md §2.7): open a `transcript.jsonl`, check its hash chain and seal in the core
 * (verifyTranscript), say who sealed it (key ID, fingerprint as hex and words) and whether that is the
 * key the auditor expected, and show every step. A changed, cut or reordered file is refused with its
 * code and where (line and JSON path).
 */
import { useRef, useState, type ChangeEvent } from 'react';
import type { TranscriptView } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { TranscriptSteps, TranscriptSummary } from '../components/TranscriptSteps';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';

const MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024;

type Outcome = { opened: string } & ({ kind: 'busy' } | { kind: 'ok'; t: TranscriptView } | { kind: 'refused'; refusal: Refusal });

export function TranscriptScreen() {
  const input = useRef<HTMLInputElement>(null);
  const [expected, setExpected] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const api = ceremonyApi();
  const expectedOk = expected.trim() === '' || /^[0-9a-fA-F]{64}$/.test(expected.trim());

  async function onOpen(e: ChangeEvent<HTMLInputElement>) {
    const el = e.currentTarget;
    const f = el.files?.[0];
    el.value = '';
    if (!f || !api) return;
    if (f.size > MAX_TRANSCRIPT_BYTES) {
      setOutcome({ opened: f.name, kind: 'refused', refusal: { ok: false, code: 'INPUT_TOO_LARGE', message: `${f.name} is ${f.size} bytes, over the cap of ${MAX_TRANSCRIPT_BYTES}` } });
      return;
    }
    setOutcome({ opened: f.name, kind: 'busy' });
    try {
      const key = expected.trim();
      const r = await api.transcriptVerify({ file: { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }, ...(key ? { expectedSealKey: key } : {}) });
      setOutcome(r.ok ? { opened: f.name, kind: 'ok', t: r.value } : { opened: f.name, kind: 'refused', refusal: r });
    } catch (err) {
      setOutcome({ opened: f.name, kind: 'refused', refusal: unexpected(err) });
    }
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
        <input ref={input} type="file" accept=".jsonl,application/jsonl,text/plain" hidden aria-label="Transcript file" onChange={(e) => void onOpen(e)} />
      </section>
      <div aria-live="polite" className="live">
        {outcome?.kind === 'busy' ? (
          <p className="busy">
            <span className="spinner" aria-hidden="true" /> Verifying {outcome.opened}…
          </p>
        ) : null}
        {outcome?.kind === 'refused' ? <RefusalPanel refusal={outcome.refusal} opened={outcome.opened} reassure="This file is not a transcript you can rely on: the chain or the seal does not hold." /> : null}
        {outcome?.kind === 'ok' ? (
          <div className="result">
            <section className={`banner ${outcome.t.sealed ? 'banner-ok' : 'banner-none'}`} role="status">
              <h2>
                <span className="icon" aria-hidden="true">
                  {outcome.t.sealed ? '✓' : '!'}
                </span>{' '}
                {outcome.t.sealed ? `Verified: ${outcome.opened}` : `Unsealed: ${outcome.opened}`}
              </h2>
              <p className="message">
                {outcome.t.sealed
                  ? `The hash chain of ${outcome.t.entries.length} steps is intact and the seal’s signature is valid.`
                  : 'The chain is intact but there is no seal: the ceremony was interrupted, or the seal was removed.'}
              </p>
            </section>
            <TranscriptSummary t={outcome.t} />
            <TranscriptSteps t={outcome.t} />
          </div>
        ) : null}
        {!outcome ? <p className="empty">Nothing opened yet. A ceremony leaves <code>transcript.jsonl</code> in its output folder.</p> : null}
      </div>
    </div>
  );
}
