/**
 * An install whose clean-up failed (IMPORT_INSTALLED_CLEANUP_FAILED, src/trust-store/installed-cleanup.ts):
 * the new trust data IS installed and recorded, so the screen shows "Installed" with this warning — never
 * the refusal panel ("nothing was changed" would be false). It names each thing the swap left beside the
 * trust folder and the order to remove them in: the journal is what identifies the set-aside folder as the
 * import's (src/io/trust-dir.ts recoverTrustDir), so removing it first would strand the folder.
 */
import type { ImportCleanupFailedView } from '../../../electron/shared/api-types.js';
import { plainMessage } from '../lib/format';

export function CleanupFailed({ warning }: { warning: ImportCleanupFailedView | undefined }) {
  if (!warning) return null;
  return (
    <div className="cleanup-failed" role="alert">
      <p>
        <strong>Warning:</strong> installed, but tidying up after it failed ({warning.code}): {plainMessage(warning.message, warning.path)}.
      </p>
      {warning.leftBeside.length ? (
        <>
          <p>Left beside the trust folder, to be removed:</p>
          <ul aria-label="Left beside the trust folder">
            {warning.leftBeside.map((name) => (
              <li key={name}>
                <code>{name}</code>
              </li>
            ))}
          </ul>
          <p>
            Fix the cause, then install this bundle again: the install removes them. To remove them by hand, remove them in this order — the journal
            last, since it is what marks the folder as the one this import set aside.
          </p>
        </>
      ) : null}
    </div>
  );
}
