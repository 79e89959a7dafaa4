/**
 * A plan that would lock its publishers out is refused at review (issue #14). Publishers listed in
 * `targets.publishers` sign targets.json themselves with the stock notary client (or `docker trust signer
 * add`), and publish WITHOUT the snapshot key. notary-server then has to sign the snapshot itself, which it
 * can only do when the root names the server's snapshot key. With the snapshot key held by the ceremony,
 * every publish by a publisher fails — measured with notary 0.7 and Docker 20.10 against notary-server:
 * "no snapshot was included in update and server does not hold current snapshot key" (FIELD-NOTES "Docker
 * CLI"). Handing the snapshot key to the server (`"snapshot": {"keyFile": "snapshot.key", "sha256": …}`,
 * the body of `GET /v2/<GUN>/_trust/tuf/snapshot.key`, or `tuf-ceremony server-keys get --role snapshot`)
 * is the way such a repository works.
 *
 * Kept in its own file and called once from plan validation (src/ceremony/plan.ts readPlan).
 */
import { CeremonyError } from '../errors.js';
import type { CeremonyPlan } from './plan.js';

export function checkPublishersCanPublish(plan: CeremonyPlan): void {
  if (plan.profile !== 'notary' || plan.targets.publishers.length === 0) return;
  if (plan.snapshot.key.kind === 'server') return;
  const names = plan.targets.publishers.map((p) => JSON.stringify(p.name)).join(', ');
  throw new CeremonyError(
    'PLAN_INVALID',
    `publishers ${names} sign targets.json themselves, but the ceremony keeps the snapshot key: every publish of theirs would fail with notary-server's "no snapshot was included in update and server does not hold current snapshot key". Hand the snapshot key to the server: "snapshot": {"keyFile": "snapshot.key", "sha256": "…"} with the key from tuf-ceremony server-keys get --role snapshot (or GET /v2/<GUN>/_trust/tuf/snapshot.key)`,
    { path: '$.snapshot' },
  );
}
