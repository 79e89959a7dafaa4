/**
 * The steps both co-sign flows take with a token (CosignScreen for signing requests, CertificateCosign for
 * certificate requests, PRODUCT.md §2.4): confirm the hash words read aloud → choose a token and key → main
 * checks that key against the request, before any PIN → the PIN dialog → the token signs (or issues) →
 * the response is written. One copy of the state machine and of the shared parts of the page, so the two
 * flows ask in the same order and say the same thing in the same words; each flow keeps its own wording of
 * what the token does and its own IPC calls.
 */
import { useState, type ReactNode } from 'react';
import type { IpcResult, TokenKeyView, TokenView } from '../../../electron/shared/api-types.js';
import { PinDialog } from '../components/PinDialog';
import { unexpected, type Refusal } from '../lib/api';
import { groupedFingerprint } from '../lib/format';
import { TokenKeyPicker, type PickedKey, type WantedKey } from './TokenKeyPicker';
import { PinRetryRefusal, TouchNowBanner } from './TokenSignStatus';

/** What main's signer check returns in both flows: the token and key it found, and whether the key asks for a touch. */
export interface CheckedKey {
  token: TokenView;
  key: TokenKeyView;
  touch?: { policy: string; asks: boolean };
}

export type CosignPhase<C extends CheckedKey, S> =
  | { step: 'choose' }
  | { step: 'checking' }
  | { step: 'checked'; check: C }
  | { step: 'pin'; check: C; notice?: string }
  | { step: 'signing'; check: C }
  | { step: 'signed'; signed: S }
  | { step: 'refused'; refusal: Refusal; check?: C };

/** `D`: what the calls need (the bridge, the request), given to them only once it is there. */
export interface CosignCalls<D, C extends CheckedKey, S> {
  /** Main's check of the picked key against the request (no PIN). */
  check(with_: D, picked: PickedKey): Promise<IpcResult<C>>;
  /** The signing call; the PIN goes straight into it and nowhere else. */
  sign(with_: D, picked: PickedKey, check: C, pin: string): Promise<IpcResult<S>>;
}

export interface TokenCosign<C extends CheckedKey, S> {
  picked: PickedKey | undefined;
  /** A newly picked key (or none) starts over at "choose". */
  pick(picked: PickedKey | undefined): void;
  phase: CosignPhase<C, S>;
  setPhase(phase: CosignPhase<C, S>): void;
  /** Check the picked key; with a notice (a wrong PIN), straight on to the PIN dialog once checked. */
  check(notice?: string): Promise<void>;
  sign(pin: string, check: C): Promise<void>;
  /** The checked key while it is shown (checked, asking the PIN, signing). */
  checked: C | undefined;
  busy: boolean;
  done: boolean;
}

/** `with_`: what the calls need (the bridge, the request); undefined until the flow has it, and nothing is asked. */
export function useTokenCosign<D, C extends CheckedKey, S>(with_: D | undefined, calls: CosignCalls<D, C, S>): TokenCosign<C, S> {
  const [picked, setPicked] = useState<PickedKey | undefined>();
  const [phase, setPhase] = useState<CosignPhase<C, S>>({ step: 'choose' });

  async function check(notice?: string) {
    if (!picked || with_ === undefined) return;
    setPhase({ step: 'checking' });
    try {
      const r = await calls.check(with_, picked);
      if (!r.ok) return setPhase({ step: 'refused', refusal: r });
      if (r.value.token.pinStatus === 'locked') {
        return setPhase({ step: 'refused', refusal: { ok: false, code: 'PIN_LOCKED', message: `The PIN of token “${r.value.token.label}” (serial ${r.value.token.serial}) is locked; no PIN was asked.` } });
      }
      setPhase(notice ? { step: 'pin', check: r.value, notice } : { step: 'checked', check: r.value });
    } catch (err) {
      setPhase({ step: 'refused', refusal: unexpected(err) });
    }
  }

  async function sign(pin: string, c: C) {
    if (!picked || with_ === undefined) return;
    setPhase({ step: 'signing', check: c });
    try {
      const r = await calls.sign(with_, picked, c, pin);
      setPhase(r.ok ? { step: 'signed', signed: r.value } : { step: 'refused', refusal: r, check: c });
    } catch (err) {
      setPhase({ step: 'refused', refusal: unexpected(err), check: c });
    }
  }

  return {
    picked,
    pick(p) {
      setPicked(p);
      setPhase({ step: 'choose' });
    },
    phase,
    setPhase,
    check,
    sign,
    checked: phase.step === 'checked' || phase.step === 'pin' || phase.step === 'signing' ? phase.check : undefined,
    busy: phase.step === 'checking' || phase.step === 'signing',
    done: phase.step === 'signed',
  };
}

/** A confirmation tick box ("the words match …"). */
export function ConfirmBox({ checked, onChange, disabled, children }: { checked: boolean; onChange: (checked: boolean) => void; disabled: boolean; children: ReactNode }) {
  return (
    <label className="rotation-confirm">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} disabled={disabled} />
      <span>{children}</span>
    </label>
  );
}

/** The optional witness line (issue #16): names recorded in the response. */
export function WitnessField({ text, onText, witnesses, disabled }: { text: string; onText: (text: string) => void; witnesses: readonly string[]; disabled: boolean }) {
  return (
    <label className="field">
      <span>Witnesses present (optional, one name per line)</span>
      <textarea rows={2} value={text} onChange={(e) => onText(e.currentTarget.value)} spellCheck={false} autoComplete="off" disabled={disabled} />
      <span className="muted" aria-live="polite">
        {witnesses.length ? `Recorded in the response as witnesses: ${witnesses.join(', ')}.` : 'No witness named: the response records none.'}
      </span>
    </label>
  );
}

/** Token or share cards. */
export function MethodChoice({ label, name, method, onMethod, disabled, token, cards }: { label: string; name: string; method: 'token' | 'cards'; onMethod: (method: 'token' | 'cards') => void; disabled: boolean; token: string; cards: string }) {
  return (
    <fieldset className="rehearse-options" aria-label={label}>
      <label className="module-option">
        <input type="radio" name={name} checked={method === 'token'} onChange={() => onMethod('token')} disabled={disabled} /> {token}
      </label>
      <label className="module-option">
        <input type="radio" name={name} checked={method === 'cards'} onChange={() => onMethod('cards')} disabled={disabled} /> {cards}
      </label>
    </fieldset>
  );
}

/** Choose the token and key, then have main check it (no PIN yet). */
export function PickAndCheck<C extends CheckedKey, S>({ name, wanted, cosign }: { name: string; wanted: readonly WantedKey[]; cosign: TokenCosign<C, S> }) {
  return (
    <>
      <TokenKeyPicker name={name} wanted={wanted} disabled={cosign.busy || cosign.done} onPick={cosign.pick} />
      <div className="buttons">
        <button type="button" className="primary" disabled={!cosign.picked || cosign.busy || cosign.done} onClick={() => void cosign.check()}>
          Check this key
        </button>
      </div>
    </>
  );
}

/**
 * Where the token stands: checking; the checked key (`found`, with the button on to the PIN while it is only
 * checked); the token at work (`working`) with the touch banner; a refusal, with a retry after a wrong PIN.
 */
export function CosignProgress<C extends CheckedKey, S>({
  cosign,
  confirmed,
  found,
  proceed,
  working,
  refused,
}: {
  cosign: TokenCosign<C, S>;
  /** "The words match" is ticked: the button on to the PIN is off without it (review D2). */
  confirmed: boolean;
  found: (check: C) => ReactNode;
  proceed: { label: string; disabled?: boolean };
  working: { label: string; text: string };
  refused: { title: string; reassure: string };
}) {
  const { phase, checked } = cosign;
  return (
    <>
      {phase.step === 'checking' ? (
        <p className="busy" aria-live="polite">
          <span className="spinner" aria-hidden="true" /> Checking the token (no PIN yet)…
        </p>
      ) : null}
      {checked ? (
        <div className="signer-found" role="status">
          {found(checked)}
          {phase.step === 'checked' ? (
            <div className="buttons">
              <button type="button" className="primary" disabled={!confirmed || (proceed.disabled ?? false)} onClick={() => cosign.setPhase({ step: 'pin', check: checked })}>
                {proceed.label}
              </button>
            </div>
          ) : null}
        </div>
      ) : null}
      {phase.step === 'signing' ? (
        <p className="busy" aria-live="polite">
          <progress aria-label={working.label} /> {working.text}
        </p>
      ) : null}
      {phase.step === 'signing' ? <TouchNowBanner check={phase.check} /> : null}
      {phase.step === 'refused' ? (
        <PinRetryRefusal
          refusal={phase.refusal}
          title={refused.title}
          reassure={refused.reassure}
          canRetry={Boolean(phase.check)}
          onRetry={() => void cosign.check('The last PIN was not accepted. Check it before trying again.')}
        />
      ) : null}
    </>
  );
}

/** The PIN dialog for the checked key; cancel goes back to the checked key. */
export function CosignPin<C extends CheckedKey, S>({ cosign, purpose, submitLabel }: { cosign: TokenCosign<C, S>; purpose: (check: C) => string; submitLabel: string }) {
  const { phase } = cosign;
  if (phase.step !== 'pin') return null;
  return (
    <PinDialog
      token={phase.check.token}
      purpose={purpose(phase.check)}
      submitLabel={submitLabel}
      rehearsal={cosign.picked?.rehearsal ?? false}
      {...(phase.notice ? { notice: phase.notice } : {})}
      onSubmit={(pin) => void cosign.sign(pin, phase.check)}
      onCancel={() => cosign.setPhase({ step: 'checked', check: phase.check })}
    />
  );
}

/** The short hash of the bytes a request asks to sign, as words to read aloud, grouped hex and the full SHA-256. */
export function HashWordsPanel({ headingId, heading, digest, fullLabel, level = 2 }: { headingId: string; heading: string; digest: { words: readonly string[]; grouped: string; sha256: string }; fullLabel: string; level?: 2 | 3 }) {
  const H = level === 3 ? 'h3' : 'h2';
  return (
    <section className="panel" aria-labelledby={headingId}>
      <H id={headingId}>{heading}</H>
      <ol className="fp-words rotation-words" aria-label="Hash words, to read aloud">
        {digest.words.map((w, i) => (
          <li key={i}>{w}</li>
        ))}
      </ol>
      <p>
        Short hash <code className="rotation-short-hash">{digest.grouped}</code>
      </p>
      <p className="muted">
        {fullLabel} <code className="fp-full">{groupedFingerprint(digest.sha256)}</code>
      </p>
    </section>
  );
}
