/**
 * Keyboard habits shared by the dialogs (PinDialog; the YubiKey ones, SlotDialog and ManagementKeyDialog):
 * a native <dialog> opened with showModal() (the page behind is inert), focus inside it at once and
 * back where it was when it closes, Tab / Shift+Tab cycling inside it.
 */
import { useEffect, type KeyboardEvent, type RefObject } from 'react';

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

/** Opens `dialog` modally, focuses `first`, and on unmount runs `cleanup`, closes it and gives focus back. */
export function useModal(dialog: RefObject<HTMLDialogElement | null>, first: RefObject<HTMLElement | null>, cleanup?: () => void): void {
  useEffect(() => {
    const d = dialog.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    first.current?.focus();
    // A reason shown first (asked again) must be in view on a short screen too.
    d?.querySelector('.pin-retry')?.scrollIntoView({ block: 'nearest' });
    return () => {
      cleanup?.();
      if (d?.open) d.close();
      opener?.focus();
    };
    // Opened once per request: the dialogs are keyed by request ID.
  }, []);
}

/** Tab and Shift+Tab stay inside the dialog (showModal makes the page inert, but Tab could still leave for the browser's own UI). */
export function trapTab(event: KeyboardEvent<HTMLDialogElement>, dialog: HTMLDialogElement | null): void {
  if (event.key !== 'Tab') return;
  const items = Array.from(dialog?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? []);
  if (items.length === 0) return;
  const first = items[0]!;
  const last = items[items.length - 1]!;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}
