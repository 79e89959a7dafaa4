/**
 * Leftovers of killed commands that an install's lock removed beside the trust directory or the key
 * inventory (src/trust-store/lock.ts sweepAsideLeftovers: a `<lock>.stale-…` copy or a `<lock>.removing`
 * guard whose process is provably gone). Files beside the operator's trust directory went: said, never
 * silent — a plain notice (removing them was safe), one sentence each as main wrote it
 * (describeRemovedLeftover, the CLI's `note:` lines), shown with the install and with a refusal alike.
 */

export function RemovedLockLeftovers({ lines }: { lines: readonly string[] | undefined }) {
  if (!lines?.length) return null;
  return (
    <div className="removed-lock-leftovers" role="status">
      <p>
        <strong>Note:</strong> Removed left over lock files of import runs that were killed:
      </p>
      <ul aria-label="Removed lock files">
        {lines.map((line) => (
          <li key={line}>{line}.</li>
        ))}
      </ul>
    </div>
  );
}
