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

/**
 * How long quitting waits for each part (review-10 L5): a part that hangs (a token that stopped answering
 * an asynchronous call) is reported and left, so the app still quits; what it held goes with the process.
 */
export const QUIT_PART_LIMIT_MS = 5000;

export async function releaseOnQuit(parts: QuitParts, report: (what: string, err: unknown) => void, limitMs = QUIT_PART_LIMIT_MS): Promise<void> {
  const part = async (what: string, run: () => Promise<void> | undefined): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        report(what, new Error(`no answer after ${limitMs} ms`));
        resolve();
      }, limitMs);
    });
    try {
      await Promise.race([run(), late]);
    } catch (err) {
      report(what, err);
    } finally {
      clearTimeout(timer);
    }
  };
  await part('closing the ceremony session', () => parts.ceremony?.close());
  await part('finalising PKCS#11 modules', () => parts.modules.finalizeAll());
}
