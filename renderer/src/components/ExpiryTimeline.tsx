/**
 * Every expiry of what was opened, as a timeline, nearest first (issue #14): roles and, for Notary, root
 * certificates, each with its date, days left and state — the same states and warning windows as
 * `tuf-ceremony status` (src/inspect/timeline.ts). The picture places each expiry on one scale from today
 * to the last one (square-root scale, so the short-lived snapshot and timestamp do not sit on top of each
 * other); the list beside it is what a screen reader reads.
 */
import type { TimelineItem } from '../../../electron/shared/api-types.js';
import { formatDate } from '../lib/format';

const STATE_TEXT: Record<TimelineItem['state'], string> = { ok: 'OK', warning: 'RENEW SOON', expired: 'EXPIRED' };

function daysText(item: TimelineItem): string {
  if (item.state === 'expired') return item.daysLeft === -1 ? 'expired yesterday or today' : `expired ${-item.daysLeft} days ago`;
  if (item.daysLeft === 0) return 'less than a day left';
  return `${item.daysLeft} day${item.daysLeft === 1 ? '' : 's'} left`;
}

export function ExpiryTimeline({ items }: { items: readonly TimelineItem[] }) {
  if (items.length === 0) return null;
  const far = Math.max(1, ...items.map((i) => i.daysLeft));
  const position = (i: TimelineItem): number => (i.daysLeft <= 0 ? 0 : Math.sqrt(i.daysLeft / far) * 100);
  return (
    <section className="panel expiry-timeline" aria-labelledby="expiry-timeline-title">
      <h2 id="expiry-timeline-title">Expiry timeline</h2>
      <p className="timeline-lede">
        Nearest first. Warning windows as <code>tuf-ceremony status</code> uses them: root and certificates 182 days, targets and delegations 30, snapshot 7,
        timestamp 3.
      </p>
      <ol className="timeline">
        {items.map((item) => (
          <li key={`${item.kind}:${item.name}`} className={`timeline-item state-${item.state}`} data-name={item.name}>
            <span className="timeline-name">
              {item.name}
              {item.holder ? <span className="timeline-holder"> ({item.holder})</span> : null}
            </span>
            <span className={`timeline-state state-${item.state}`}>{STATE_TEXT[item.state]}</span>
            <span className="timeline-date">{formatDate(item.expires)}</span>
            <span className="timeline-days">
              {daysText(item)}
              {item.state === 'warning' ? ` (within its ${item.windowDays}-day window)` : ''}
            </span>
            <span className="timeline-track" aria-hidden="true">
              <span className="timeline-dot" style={{ left: `${position(item).toFixed(1)}%` }} />
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
