/**
 * YubiKey: the PIV management key, asked without echo when the site bindings say "prompt" (issue #13).
 * Making a key on a YubiKey needs it (ykcs11: the SO login). As the PIN dialog does, it names the token
 * first (label, serial, manufacturer and model), and the key lives only in the masked, uncontrolled
 * <input>: never in React state, read once on submit, the field cleared on submit, on cancel and when the
 * dialog goes away. A key the YubiKey refused is asked again with the reason (MANAGEMENT_KEY_INCORRECT:
 * nothing was written). A factory-default key is accepted, and the screen then warns loudly (the core
 * says so; it alone knows the default).
 */
import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { CeremonyManagementKeyRequestView } from '../../../electron/shared/api-types.js';
import { trapTab, useModal } from './modal-focus';

/** A 3DES management key: 48 hex digits (src/signers/pkcs11/piv-slots.ts MANAGEMENT_KEY_HEX_LENGTH). */
const HEX_DIGITS = 48;

interface Props {
  request: CeremonyManagementKeyRequestView;
  onSubmit: (managementKey: string) => void;
  onCancel: () => void;
}

export function ManagementKeyDialog({ request, onSubmit, onCancel }: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<string | undefined>();
  const titleId = useId();
  const descId = useId();
  const inputId = useId();
  const hintId = useId();
  const retryId = useId();
  useModal(dialogRef, inputRef, () => {
    if (inputRef.current) inputRef.current.value = '';
  });
  const t = request.token;

  function cancel() {
    if (inputRef.current) inputRef.current.value = '';
    onCancel();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const input = inputRef.current;
    if (!input) return;
    // Spaces are allowed while typing in groups; the key itself is the hex digits.
    const key = input.value.replace(/\s+/g, '');
    input.value = '';
    if (key.length === 0) {
      setProblem('Type the management key first.');
      input.focus();
      return;
    }
    if (key.length !== HEX_DIGITS || !/^[0-9a-fA-F]+$/.test(key)) {
      // Says what is wrong with it, never what was typed.
      setProblem(`A YubiKey management key is ${HEX_DIGITS} hex digits (0–9, a–f); what was typed is not. Type it again.`);
      input.focus();
      return;
    }
    onSubmit(key);
  }

  function onKeyDown(event: KeyboardEvent<HTMLDialogElement>) {
    if (event.key === 'Escape') {
      event.preventDefault();
      cancel();
      return;
    }
    trapTab(event, dialogRef.current);
  }

  return (
    <dialog
      ref={dialogRef}
      className="pin-dialog management-key-dialog"
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={descId}
      onCancel={(e) => {
        e.preventDefault();
        cancel();
      }}
      onKeyDown={onKeyDown}
    >
      <form className="pin-form" onSubmit={submit} autoComplete="off" noValidate>
        <h2 id={titleId}>
          {request.retry ? 'Management key not accepted: ' : ''}PIV management key for YubiKey “{t.label || '(no label)'}”
        </h2>
        {request.retry ? (
          <p id={retryId} className="pin-retry" role="alert">
            {request.retry.message}
          </p>
        ) : null}
        <div id={descId} className="pin-for">
          <p className="pin-token">
            <span className="pin-token-label">Token</span> <strong>“{t.label || '(no label)'}”</strong>
          </p>
          <p className="pin-token">
            <span className="pin-token-label">Serial</span> <code className="serial-no">{t.serial}</code>
          </p>
          <p className="pin-maker">{[t.manufacturer, t.model].filter(Boolean).join(' · ')}</p>
          <p className="pin-purpose">To make {request.custodian}’s keys on this YubiKey (the management key allows writing keys to it).</p>
          <p className="pin-check">Check that this serial is that of the YubiKey in front of you before you type the key.</p>
        </div>
        <label htmlFor={inputId} className="pin-label">
          Management key ({HEX_DIGITS} hex digits)
        </label>
        <input
          ref={inputRef}
          id={inputId}
          className="pin-input management-key-input"
          type="password"
          autoComplete="off"
          autoCorrect="off"
          autoCapitalize="off"
          spellCheck={false}
          maxLength={96}
          aria-describedby={request.retry ? `${retryId} ${hintId}` : hintId}
          onInput={() => setProblem(undefined)}
        />
        <p id={hintId} className="pin-hint">
          {problem ? <span className="pin-empty" role="alert">{problem}</span> : 'The key is not shown, stored or logged; it is used once and dropped.'}
        </p>
        <div className="buttons pin-buttons">
          <button type="button" className="secondary" onClick={cancel}>
            {request.retry ? 'Stop this step' : 'Cancel'}
          </button>
          <button type="submit" className="primary">
            Use this key
          </button>
        </div>
      </form>
    </dialog>
  );
}
