/** What an import installs (or would install): repository, the folder, each role's version, threshold and expiry. */
import type { ImportInstalledView, NotWrittenCopyView } from '../../../electron/shared/api-types.js';
import { formatDate, plainMessage } from '../lib/format';

export function InstalledSummary({ view, verb }: { view: ImportInstalledView; verb: string }) {
  return (
    <div className="installed-summary">
      <p>
        {view.profile === 'notary' ? 'Notary repository' : 'TUF repository'} {view.repository ? <code data-testid="installed-repository">{view.repository}</code> : null} — {view.targets}{' '}
        {view.targets === 1 ? 'target' : 'targets'} — {verb} in <code>{view.folder}</code>
      </p>
      <table className="roles-table" aria-label="Roles">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Version</th>
            <th scope="col">Signatures required</th>
            <th scope="col">Expires</th>
          </tr>
        </thead>
        <tbody>
          {view.roles.map((r) => (
            <tr key={r.name}>
              <th scope="row">{r.name}</th>
              <td>
                {r.version}
                {view.previous && r.name in view.previous && view.previous[r.name as keyof typeof view.previous] !== r.version ? ` (was ${view.previous[r.name as keyof typeof view.previous]})` : ''}
              </td>
              <td>{r.threshold !== undefined ? `${r.threshold} of ${r.keys}` : '—'}</td>
              <td>{formatDate(r.expires)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <NotWrittenCopies copies={view.notWritten} />
      {view.attestations ? (
        <ul className="attestation-list" aria-label="Where the keys were generated">
          {view.attestations.map((a) => (
            <li key={a.keyId} className={`attestation ${a.status}`}>
              <p className="sentence">{plainMessage(a.sentence)}</p>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/**
 * Delegated roles installed under their own name only (tuf layout): tuf-js reads that file; python-tuf's
 * copy (its quoted name) could not be a file here, so a python-tuf client would download the role again.
 * Said, as the CLI says it, never silent.
 */
export function NotWrittenCopies({ copies }: { copies: readonly NotWrittenCopyView[] | undefined }) {
  if (!copies?.length) return null;
  return (
    <ul className="not-written-copies" aria-label="Files not written">
      {copies.map((c) => (
        <li key={c.role}>
          <code>{c.role}</code>: written as <code>{`${c.role}.json`}</code> only — python-tuf cannot store this role’s file ({c.why}).
        </li>
      ))}
    </ul>
  );
}
