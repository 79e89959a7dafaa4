/**
 * The administrator's choices on the Rotation screen → the change set the build call carries (pure, so it
 * is unit-tested without a browser). Main checks everything again; this only says what is still missing.
 */
import type { RemovalReasonName, RotationBuildRequest, RotationNewKeyView, RotationRootView } from '../../../electron/shared/api-types.js';

export type Action = 'keep' | 'replace' | 'remove';

export interface KeyPlan {
  action: Action;
  reason: RemovalReasonName;
  newKey?: RotationNewKeyView;
  newName: string;
}

export interface Added {
  id: number;
  key?: RotationNewKeyView;
  name: string;
}

/**
 * The change set the build call carries, or a sentence saying what is still missing. `names` are the
 * names typed for the current keys (a missing one is said by short key ID).
 */
export function changeSet(
  root: RotationRootView,
  plans: ReadonlyMap<string, KeyPlan>,
  added: readonly Added[],
  threshold: number,
  expires: string,
  names: ReadonlyMap<string, string> = new Map(),
): RotationBuildRequest['change'] | string {
  const change: RotationBuildRequest['change'] = { replace: [], remove: [], add: [], expires };
  for (const k of root.keys) {
    const p = plans.get(k.keyid);
    if (!p || p.action === 'keep') continue;
    const who = names.get(k.keyid)?.trim() || k.name || `key ${k.keyid.slice(0, 8)}`;
    if (p.action === 'remove') change.remove.push({ keyid: k.keyid, reason: p.reason });
    else {
      if (!p.newKey) return `choose the new key that replaces ${who}`;
      if (!p.newName.trim()) return `name the custodian of the key that replaces ${who}`;
      change.replace.push({ old: k.keyid, reason: p.reason, key: p.newKey.keyFile, name: p.newName.trim() });
    }
  }
  for (const a of added) {
    if (!a.key) return 'choose the key to add (or remove the empty row)';
    if (!a.name.trim()) return 'name the custodian of the key to add';
    change.add.push({ key: a.key.keyFile, name: a.name.trim() });
  }
  if (!Number.isInteger(threshold) || threshold < 1) return 'give the new root threshold as a whole number, 1 or more';
  if (threshold !== root.threshold) change.threshold = threshold;
  if (!change.replace.length && !change.remove.length && !change.add.length && change.threshold === undefined) change.expiresOnly = true;
  return change;
}

