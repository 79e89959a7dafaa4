/**
 * The Inspect screen's expiry timeline (issue #14): every role's `expires` and, for Notary, each root key's
 * certificate end, nearest first, with days left and the state `tuf-ceremony status` gives it — the same
 * default warning windows (src/status/expiry.ts: root and certificates 182 days, targets and delegations
 * 30, snapshot 7, timestamp 3) and the same rounding, so the screen and a cron job agree.
 */
import { DEFAULT_WINDOWS, stateOf } from '../status/expiry.js';
import type { KeyView, RoleView, TimelineItem } from './types.js';

function windowOf(role: RoleView): number {
  return role.kind === 'delegation' ? DEFAULT_WINDOWS.delegations! : DEFAULT_WINDOWS[role.name] ?? DEFAULT_WINDOWS.delegations!;
}

export function expiryTimeline(roles: readonly RoleView[], keys: readonly KeyView[], now: Date): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const role of roles) {
    if (!role.expires) continue;
    const windowDays = windowOf(role);
    items.push({ kind: 'role', name: role.name, expires: role.expires, windowDays, ...stateOf(new Date(role.expires), now, windowDays) });
  }
  // Root keys' certificates (Notary): notary's client refuses a root whose certificate has ended.
  const rootIds = new Set(roles.find((r) => r.kind === 'root')?.keyIds ?? []);
  for (const k of keys) {
    if (!k.certificateExpires || !rootIds.has(k.keyId)) continue;
    const windowDays = DEFAULT_WINDOWS.certificates!;
    items.push({ kind: 'certificate', name: `root certificate ${k.keyId.slice(0, 8)}`, ...(k.label ? { holder: k.label } : {}), expires: k.certificateExpires, windowDays, ...stateOf(new Date(k.certificateExpires), now, windowDays) });
  }
  return items.sort((a, b) => Date.parse(a.expires) - Date.parse(b.expires) || a.name.localeCompare(b.name));
}
