/**
 * The PIN dialog (PRODUCT.md §3: "PIN entry in a dedicated dialog, never kept after use").
 *
 * - Says WHICH token the PIN is for (label and serial, as printed on the token) and what it will be used
 *   for, before the input: a custodian checks the token in front of them first.
 * - Modal: a native <dialog> opened with showModal() (the rest of the page is inert), role="dialog",
 *   aria-modal, focus starts in the PIN field and Tab / Shift+Tab cycle inside the dialog; Escape cancels.
 * - The PIN lives only in the <input> element: an uncontrolled, masked field (type=password,
 *   autocomplete off, no spellcheck), never in React state, never shown. It is read once on submit and
 *   handed to `onSubmit`; the field is cleared on submit, on cancel and when the dialog goes away.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { PinStatusName, TokenRefView } from '../../../electron/shared/api-types.js';
import { trapTab } from './modal-focus';

export interface PinDialogToken extends TokenRefView {
  manufacturer?: string;
  model?: string;
  pinStatus?: PinStatusName;
  maxPinLength?: number;
}

interface Props {
  token: PinDialogToken;
  /** What the PIN will be used for, e.g. `generate an ECDSA P-256 key labelled "root-1"`. */
  purpose: string;
  /** The submit button's words. */
  submitLabel: string;
  /** Shown above the field, e.g. after a wrong PIN. */
  notice?: string;
  /** A software token used for rehearsal: said in the dialog too. */
  rehearsal?: boolean;
  /**
   * Asked again (issue #16): why, in a plain sentence ("The PIN was not accepted … 1 try is left"), shown
   * first under the title, announced, with focus in the PIN field; Cancel then stops the step.
   */
  retry?: { message: string; triesLeft: number | null; reason: 'wrong' | 'not-given' } | undefined;
  /** Cancel's words (default "Cancel"). */
  cancelLabel?: string;
  onSubmit: (pin: string) => void;
  onCancel: () => void;
}

export function PinDialog({ token, purpose, submitLabel, notice, rehearsal, retry, cancelLabel, onSubmit, onCancel }: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const [empty, setEmpty] = useState(false);
  const [capsLock, setCapsLock] = useState(false);
  const titleId = useId();
  const descId = useId();
  const inputId = useId();
  const hintId = useId();
  const retryId = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    const input = inputRef.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    input?.focus();
    // Asked again: the reason is at the top of the dialog; on a short screen it must be in view too.
    dialog?.querySelector('.pin-retry')?.scrollIntoView({ block: 'nearest' });
    return () => {
      // Whatever closes the dialog, the field is emptied first.
      if (input) input.value = '';
      if (dialog?.open) dialog.close();
      opener?.focus();
    };
  }, []);

  function clear() {
    if (inputRef.current) inputRef.current.value = '';
  }

  function cancel() {
    clear();
    onCancel();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const input = inputRef.current;
    if (!input) return;
    const pin = input.value;
    input.value = '';
    if (pin.length === 0) {
      setEmpty(true);
      input.focus();
      return;
    }
    onSubmit(pin);
  }

  function onKeyDown(event: KeyboardEvent<HTMLDialogElement>) {
    if (event.key === 'Escape') {
      event.preventDefault();
      cancel();
      return;
    }
    trapTab(event, dialogRef.current);
  }

  function onKeyState(event: KeyboardEvent<HTMLInputElement>) {
    setCapsLock(event.getModifierState('CapsLock'));
  }

  const tries =
    token.pinStatus === 'final-try'
      ? 'The token says ONE TRY is left before the PIN locks. Check the PIN before you press the button.'
      : token.pinStatus === 'count-low'
        ? 'The token says few tries are left before the PIN locks.'
        : undefined;
  const maxLength = token.maxPinLength && token.maxPinLength > 0 && token.maxPinLength < 256 ? token.maxPinLength : 255;

  return (
    <dialog
      ref={dialogRef}
      className="pin-dialog"
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={descId}
      onCancel={(e) => {
        // The browser's own Escape handling: ours clears the field and tells the screen.
        e.preventDefault();
        cancel();
      }}
      onKeyDown={onKeyDown}
    >
      <form className="pin-form" onSubmit={submit} autoComplete="off" noValidate>
        <h2 id={titleId}>
          {retry ? (retry.reason === 'wrong' ? 'PIN not accepted: ' : 'No PIN entered: ') : ''}PIN for token “{token.label || '(no label)'}”
        </h2>
        {retry ? (
          <p id={retryId} className="pin-retry" role="alert">
            {retry.message}
          </p>
        ) : null}
        <div id={descId} className="pin-for">
          <p className="pin-token">
            <span className="pin-token-label">Token</span> <strong>“{token.label || '(no label)'}”</strong>
          </p>
          <p className="pin-token">
            <span className="pin-token-label">Serial</span> <code className="serial-no">{token.serial}</code>
          </p>
          {token.manufacturer || token.model ? <p className="pin-maker">{[token.manufacturer, token.model].filter(Boolean).join(' · ')}</p> : null}
          <p className="pin-purpose">To {purpose}.</p>
          <p className="pin-check">Check that this label and serial are those of the token in front of you before you type the PIN.</p>
          {rehearsal ? <p className="pin-rehearsal">REHEARSAL: a software token, not hardware.</p> : null}
        </div>
        {notice ? (
          <p className="pin-notice" role="alert">
            {notice}
          </p>
        ) : null}
        {tries && !retry ? <p className="pin-tries">{tries}</p> : null}
        <label htmlFor={inputId} className="pin-label">
          PIN
        </label>
        <input
          ref={inputRef}
          id={inputId}
          className="pin-input"
          type="password"
          autoComplete="off"
          autoCorrect="off"
          autoCapitalize="off"
          spellCheck={false}
          maxLength={maxLength}
          aria-describedby={retry ? `${retryId} ${hintId}` : hintId}
          onKeyUp={onKeyState}
          onKeyDown={onKeyState}
          onInput={() => setEmpty(false)}
        />
        <p id={hintId} className="pin-hint">
          {empty ? <span className="pin-empty">Type the PIN first.</span> : 'The PIN is not shown, stored or logged; it is used once and dropped.'}
          {capsLock ? <span className="pin-caps"> Caps Lock is on.</span> : null}
        </p>
        <div className="buttons pin-buttons">
          <button type="button" className="secondary" onClick={cancel}>
            {cancelLabel ?? 'Cancel'}
          </button>
          <button type="submit" className="primary">
            {submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
