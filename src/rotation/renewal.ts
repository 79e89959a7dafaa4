/**
 * Renewal without key changes (issue #14): targets.json N+1 with the same targets, delegations and keys,
 * and only a later `expires` — signed by the targets keys of the current root through the same request →
 * co-sign → merge flow as any targets change. A delegations plan says so with `"renew": true` and no
 * change fields (src/rotation/plan.ts); the review then shows the one change, "targets.json expires: A → B".
 * (Renewing the root's expiry alone was already a valid root rotation: a plan with `expires` and no
 * changes.)
 *
 * A renewal must move the expiry forward: the same or an earlier date would be a version bump that renews
 * nothing (or shortens the role's life), and is refused before anyone signs.
 */
import { CeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import type { JsonObject } from '../json/types.js';
import type { TargetsPayload } from './targets-payload.js';

/** True when targets.json N+1 differs from N only in version and expiry. */
export function isTargetsRenewalOnly(payload: TargetsPayload): boolean {
  // Canonical bytes with version and expiry blanked: equal exactly when nothing else differs.
  const strip = (o: JsonObject) => payload.previous.profile.canonical({ ...o, version: 0, expires: '' });
  return bytesEqual(strip(payload.previous.signedJson), strip(payload.signed));
}

/** Refuse a renewal-only targets.json N+1 whose expiry is not later than N's. */
export function checkTargetsRenewal(payload: TargetsPayload, path = '$.expires'): void {
  if (!isTargetsRenewalOnly(payload)) return;
  if (payload.targets.expires.getTime() <= payload.previous.signed.expires.getTime()) {
    throw new CeremonyError(
      'ROTATION_CHANGE_INVALID',
      `a renewal must move targets.json's expiry forward: version ${payload.previous.signed.version} expires ${payload.previous.signed.expiresText}, the plan says ${payload.targets.expiresText}`,
      { path },
    );
  }
}
