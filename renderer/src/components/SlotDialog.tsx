/**
 * YubiKey: the site bindings name no PIV slot for a key, so the core proposes the first empty retired slot
 * (src/signers/pkcs11/piv-slots.ts decideSlot) and the custodian confirms it (issue #13). Generating
 * overwrites whatever the slot holds without asking (ykcs11 does not), so the dialog names the token in
 * front of them (manufacturer, model, serial), whose key it is, and the slot in words before anything is
 * written. Decline stops the step with PIV_SLOT_DECLINED; nothing is written to the card.
 *
 * Modal like the PIN dialog: focus starts on Confirm and returns after; Tab cycles inside; Escape declines.
 */
import { useId, useRef, type KeyboardEvent } from 'react';
import type { CeremonySlotRequestView } from '../../../electron/shared/api-types.js';
import { trapTab, useModal } from './modal-focus';

interface Props {
  request: CeremonySlotRequestView;
  onAnswer: (confirm: boolean) => void;
}

export function SlotDialog({ request, onAnswer }: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const descId = useId();
  useModal(dialogRef, confirmRef);
  const t = request.token;

  function onKeyDown(event: KeyboardEvent<HTMLDialogElement>) {
    if (event.key === 'Escape') {
      event.preventDefault();
      onAnswer(false);
      return;
    }
    trapTab(event, dialogRef.current);
  }

  return (
    <dialog
      ref={dialogRef}
      className="pin-dialog slot-dialog"
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={descId}
      onCancel={(e) => {
        e.preventDefault();
        onAnswer(false);
      }}
      onKeyDown={onKeyDown}
    >
      <div className="pin-form">
        <h2 id={titleId}>Confirm the YubiKey slot for {request.custodian}’s {request.role} key</h2>
        <div id={descId} className="pin-for">
          <p className="pin-token">
            <span className="pin-token-label">Token</span> <strong>“{t.label || '(no label)'}”</strong>
          </p>
          <p className="pin-token">
            <span className="pin-token-label">Serial</span> <code className="serial-no">{t.serial}</code>
          </p>
          <p className="pin-maker">{[t.manufacturer, t.model].filter(Boolean).join(' · ')}</p>
          <p className="pin-purpose">
            The site bindings name no PIV slot for this key. Make {request.custodian}’s {request.role} key in <strong className="slot-proposed">{request.slotTitle}</strong>, the first empty retired slot of this YubiKey?
          </p>
          <p className="pin-check">Check that this serial is that of the YubiKey in front of you. Nothing has been written to it yet; declining stops this step and writes nothing.</p>
        </div>
        <div className="buttons pin-buttons">
          <button type="button" className="secondary" onClick={() => onAnswer(false)}>
            Decline
          </button>
          <button ref={confirmRef} type="button" className="primary" onClick={() => onAnswer(true)}>
            Confirm slot {request.slot}
          </button>
        </div>
      </div>
    </dialog>
  );
}
