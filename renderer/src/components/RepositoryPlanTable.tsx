/**
 * The repositories of a multi-repository plan (issue #17), as custodians review them: name, profile, root
 * threshold, each role's expiry, the folder its outputs go to, and whether it is an exception (it differs
 * from most repositories of its profile: electron/main/multi-ceremony.ts). Up to 5,000 rows, so only the rows
 * in view (and a few either side) are in the DOM: fixed-height rows in a scrolling box, spacer rows above
 * and below keeping the scroll bar true. The exceptions, which are few and must each be read, are listed in
 * full below the table. Memoised on the plan's hash: a ceremony's progress polls do not re-render it.
 */
import { memo, useRef, useState, type UIEvent } from 'react';
import type { CeremonyMultiPlanView, MultiRepositoryRowView } from '../../../electron/shared/api-types.js';

type Rows = readonly MultiRepositoryRowView[];

/** Pixels per row; styles.css `.repo-table tbody tr` gives rows this height. */
export const REPO_ROW_PX = 34;
const VIEW_ROWS = 14;
const OVERSCAN = 6;
/** Exceptions listed in full; more are counted, and the table's filter shows them all. */
const MAX_EXCEPTIONS_LISTED = 200;

/** The day only: the full instants are in the cell's title (and the plan). */
const date = (d: string | null): string => (d ? d.slice(0, 10) : 'server');

/** `index`: the row's place in the whole table, header row 1 (aria-rowindex: only some rows are in the DOM). */
function Row({ r, index }: { r: MultiRepositoryRowView; index: number }) {
  const odd = r.exceptions.length > 0;
  return (
    <tr className={odd ? 'repo-exception' : undefined} aria-rowindex={index}>
      <th scope="row" title={r.name}>
        <code>{r.name}</code>
      </th>
      <td>{r.profile === 'notary' ? 'Notary' : 'TUF'}</td>
      <td>{r.rootThreshold}</td>
      <td>{odd ? <strong className="repo-exception-word">differs ({r.exceptions.length})</strong> : '—'}</td>
      <td title={`root ${r.expires.root}; targets ${r.expires.targets ?? 'server'}; snapshot ${r.expires.snapshot ?? 'server'}; timestamp ${r.expires.timestamp ?? 'server'}`}>
        {date(r.expires.root)} · {date(r.expires.targets)} · {date(r.expires.snapshot)} · {date(r.expires.timestamp)}
      </td>
      <td title={r.folder}>
        <code>{r.folder}/</code>
      </td>
    </tr>
  );
}

function Table({ multi, all }: { multi: CeremonyMultiPlanView; all: Rows }) {
  const [top, setTop] = useState(0);
  const [onlyExceptions, setOnlyExceptions] = useState(false);
  const frame = useRef<number | undefined>(undefined);
  const rows = onlyExceptions ? all.filter((r) => r.exceptions.length > 0) : all;
  const first = Math.max(0, Math.floor(top / REPO_ROW_PX) - OVERSCAN);
  const last = Math.min(rows.length, Math.floor(top / REPO_ROW_PX) + VIEW_ROWS + OVERSCAN);
  function onScroll(e: UIEvent<HTMLDivElement>) {
    const y = e.currentTarget.scrollTop;
    if (frame.current !== undefined) return;
    // At most one re-render per frame however fast the wheel turns.
    frame.current = window.requestAnimationFrame(() => {
      frame.current = undefined;
      setTop(y);
    });
  }
  const exceptions = all.filter((r) => r.exceptions.length > 0);
  return (
    <>
      <p className="repo-count" data-testid="repo-count">
        {multi.count} repositories ({multi.notary} Notary, {multi.tuf} TUF) ·{' '}
        {multi.exceptions === 0 ? 'no exceptions: every repository is set up as the others of its profile' : <strong>{multi.exceptions} {multi.exceptions === 1 ? 'exception' : 'exceptions'}</strong>}
      </p>
      {multi.exceptions > 0 ? (
        <label className="rotation-confirm">
          <input type="checkbox" checked={onlyExceptions} onChange={(e) => setOnlyExceptions(e.currentTarget.checked)} />
          <span>Show only the exceptions</span>
        </label>
      ) : null}
      <div className="repo-table-scroll" tabIndex={0} role="region" aria-label={`Repositories of the plan, ${rows.length} rows`} onScroll={onScroll}>
        <table className="plan-table repo-table" aria-label="Repositories" aria-rowcount={rows.length + 1}>
          <thead>
            <tr aria-rowindex={1}>
              <th scope="col" className="col-repo">Repository</th>
              <th scope="col" className="col-profile">Profile</th>
              <th scope="col" className="col-threshold">Root</th>
              <th scope="col" className="col-exception">Exception</th>
              <th scope="col" className="col-expires">Expires: root · targets · snapshot · timestamp</th>
              <th scope="col" className="col-folder">Outputs</th>
            </tr>
          </thead>
          <tbody>
            {first > 0 ? <tr aria-hidden="true" className="repo-spacer" style={{ height: `${first * REPO_ROW_PX}px` }} /> : null}
            {rows.slice(first, last).map((r, i) => (
              <Row key={r.name} r={r} index={first + i + 2} />
            ))}
            {last < rows.length ? <tr aria-hidden="true" className="repo-spacer" style={{ height: `${(rows.length - last) * REPO_ROW_PX}px` }} /> : null}
          </tbody>
        </table>
      </div>
      {exceptions.length ? (
        <>
          <h3>Exceptions — read each one</h3>
          <ul className="repo-exceptions" aria-label="Exceptions">
            {exceptions.slice(0, MAX_EXCEPTIONS_LISTED).map((r) => (
              <li key={r.name}>
                <code>{r.name}</code>: {r.exceptions.join('; ')}
              </li>
            ))}
          </ul>
          {exceptions.length > MAX_EXCEPTIONS_LISTED ? <p className="muted">and {exceptions.length - MAX_EXCEPTIONS_LISTED} more: tick “Show only the exceptions” to scroll through them in the table.</p> : null}
        </>
      ) : null}
    </>
  );
}

/**
 * Re-rendered only when another plan's rows arrive: the rows are fetched once per plan (ceremonyPlanRows),
 * and a status poll's new summary object with the same plan hash changes nothing here.
 */
export const RepositoryPlanTable = memo(
  function RepositoryPlanTable({ multi, rows, planHash }: { multi: CeremonyMultiPlanView; rows: Rows | undefined; planHash: string }) {
    if (!rows) return <p className="muted">Reading the {multi.count} repositories of the plan…</p>;
    // Keyed by the plan: another plan starts at its top, unfiltered.
    return <Table key={planHash} multi={multi} all={rows} />;
  },
  (a, b) => a.planHash === b.planHash && a.rows === b.rows,
);
