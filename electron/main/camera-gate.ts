/**
 * Whether the QR import scanner is open, as main knows it: the camera permission (security-policy.ts
 * isPermissionAllowed) consults this state, never the page's URL fragment, which the renderer sets itself
 * (`location.hash = '#/import-qr'` from any screen, or from script injected into the page, would
 * otherwise be enough to be granted the camera).
 *
 * The scanner tells main it opens and closes through the `importQrCamera` IPC, which main validates
 * (the sender is the app's own top-level page, ipc-register.ts; the payload a strict schema). Main
 * closes the gate itself whenever the page navigates or reloads or its renderer process goes away
 * (harden.ts), so a grant never outlives the screen that asked for it. The app has one window (new
 * windows are denied), hence one gate.
 */
export class CameraGate {
  private open = false;
  private readonly listeners: ((open: boolean) => void)[] = [];

  /** The QR import scanner opened (true) or closed (false): the `importQrCamera` channel. */
  set(open: boolean): { open: boolean } {
    this.open = open;
    this.tell();
    return { open: this.open };
  }

  /** The page navigated, reloaded or its renderer went away: no screen is open any more. */
  reset(): void {
    this.open = false;
    this.tell();
  }

  /**
   * Called with the gate's state each time it is set or reset: the Import session ends the scan (its
   * worker and what it held) when the gate closes, however it closed (transport-import.ts qrScanner).
   */
  onChange(listener: (open: boolean) => void): void {
    this.listeners.push(listener);
  }

  private tell(): void {
    for (const listener of this.listeners) listener(this.open);
  }

  isOpen(): boolean {
    return this.open;
  }
}
