/**
 * The transcript (PRODUCT.md §2.7): open a `transcript.jsonl`, check its hash chain and seal in the core
 * (verifyTranscript), say who sealed it (key ID, fingerprint as hex and words) and whether that is the
 * key the auditor expected, and show every step. A changed, cut or reordered file is refused with its
 * code and where (line and JSON path).
 *
 * Issue #16: a valid seal by an unknown key proves only that *someone* sealed the chain, so without an
 * expected key the outcome is amber ("chain intact, sealed by key … — not compared"), never green; the
 * key can be entered afterwards and the same file compared again. Print sends the page to the printer.
 */
import { useRef, useState, type ChangeEvent } from 'react';
import { useReveal } from '../lib/reveal';
import { shortKeyId } from '../lib/format';
import type { TranscriptView } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { TranscriptSteps, TranscriptSummary } from '../components/TranscriptSteps';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';

const MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024;

type Outcome = { opened: string } & ({ kind: 'busy' } | { kind: 'ok'; t: TranscriptView; bytes: Uint8Array } | { kind: 'refused'; refusal: Refusal });

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
        <p className="message">The chain is intact but there is no seal: the ceremony was interrupted, or the seal was removed.</p>
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
        <p className="message">{steps}, and it is sealed by the expected key.</p>
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
        Chain intact, sealed by key <code className="keyid">{shortKeyId(t.sealedBy?.keyId ?? '')}</code> — not compared
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

export function TranscriptScreen() {
  const input = useRef<HTMLInputElement>(null);
  const [expected, setExpected] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const api = ceremonyApi();
  const expectedOk = expected.trim() === '' || isKey(expected);

  async function verify(name: string, bytes: Uint8Array, key: string) {
    if (!api) return;
    setOutcome({ opened: name, kind: 'busy' });
    try {
      const r = await api.transcriptVerify({ file: { name, bytes }, ...(key ? { expectedSealKey: key } : {}) });
      setOutcome(r.ok ? { opened: name, kind: 'ok', t: r.value, bytes } : { opened: name, kind: 'refused', refusal: r });
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
    await verify(f.name, new Uint8Array(await f.arrayBuffer()), expected.trim());
  }

  function compareLater(key: string) {
    if (outcome?.kind !== 'ok') return;
    setExpected(key);
    void verify(outcome.opened, outcome.bytes, key);
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
            Nothing opened yet. A root ceremony leaves <code>state/transcript.jsonl</code> in its output folder; each co-signing, merge and rotation request leaves <code>FILE.transcript.jsonl</code> beside the file it wrote.
          </p>
        ) : null}
      </div>
    </div>
  );
}
