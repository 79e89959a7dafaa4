/**
 * A trust-bundle-set on the Import screen (issue #17): one row per repository — its profile, the verified
 * root's version (and what was installed), expiry, keys and threshold, and its verdict. The set installs
 * all or none, so the table is the whole decision: one refused row and nothing can be installed.
 */
import type { ImportSetView } from '../../../electron/shared/api-types.js';
import { formatDate } from '../lib/format';
import { NotWrittenCopies } from './InstalledSummary';

export function SetSummary({ set, verb }: { set: ImportSetView; verb: string }) {
  const refused = set.repositories.filter((r) => !r.verdict.ok).length;
  return (
    <div className="installed-summary set-summary">
      <p data-testid="set-summary-line">
        {set.repositories.length} {set.profile === 'notary' ? 'Notary' : 'TUF'} {set.repositories.length === 1 ? 'repository' : 'repositories'} in <q>{set.name}</q>
        {refused === 0 ? ` — all verified, ${verb}` : ` — ${refused} refused: nothing of the set can be installed`}
        {set.folder ? (
          <>
            {' '}
            in <code>{set.folder}</code>
          </>
        ) : null}
      </p>
      <div className="set-table-scroll" tabIndex={0} role="region" aria-label="Repositories of the set">
        <table className="roles-table set-table" aria-label="Repositories">
          <thead>
            <tr>
              <th scope="col" className="col-repository">Repository</th>
              <th scope="col">Profile</th>
              <th scope="col">Root version</th>
              <th scope="col">Expires</th>
              <th scope="col">Keys / threshold</th>
              <th scope="col" className="col-verdict">Verdict</th>
            </tr>
          </thead>
          <tbody>
            {set.repositories.map((r) => (
              <tr key={r.repository} className={r.verdict.ok ? 'verified' : 'refused'}>
                <th scope="row">
                  <code>{r.repository}</code>
                </th>
                <td>{r.profile === 'notary' ? 'Notary' : 'TUF'}</td>
                <td>{r.root ? `${r.root.version}${r.root.previous === null ? ' (new)' : r.root.previous !== r.root.version ? ` (was ${r.root.previous})` : ''}` : '—'}</td>
                <td>{r.root ? formatDate(r.root.expires) : '—'}</td>
                <td>{r.root ? `${r.root.threshold} of ${r.root.keys}` : '—'}</td>
                <td>
                  {r.verdict.ok ? (
                    <>
                      <span className="verdict ok">
                        <span aria-hidden="true">✓</span> verified
                      </span>
                      <NotWrittenCopies copies={r.notWritten} />
                    </>
                  ) : (
                    <span className="verdict refused">
                      <span aria-hidden="true">✗</span> refused <code className="code">{r.verdict.code}</code>
                      <span className="hint"> {r.verdict.message}</span>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
