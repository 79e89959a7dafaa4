/**
 * What main releases when the app quits, in this order: the ceremony session first — its SoftHSM2
 * rehearsal tokens log out and their temporary token folder is deleted while the module is still
 * initialised, staged inputs are removed, keys and share cards wiped — then every PKCS#11 module is
 * finalised (sessions closed, tokens logged out). A failure of one does not skip the other.
 */
export interface QuitParts {
  /** Undefined when the app quits before its window was made. */
  ceremony: { close(): Promise<void> } | undefined;
  modules: { finalizeAll(): Promise<void> };
}

export async function releaseOnQuit(parts: QuitParts, report: (what: string, err: unknown) => void): Promise<void> {
  try {
    await parts.ceremony?.close();
  } catch (err) {
    report('closing the ceremony session', err);
  }
  try {
    await parts.modules.finalizeAll();
  } catch (err) {
    report('finalising PKCS#11 modules', err);
  }
}
