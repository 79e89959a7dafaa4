/**
 * From a rotation plan with `root.renewCertificates` (plan.ts) to the certificate request
 * (certificate-request.ts, issue #14): the plan's inputs are checked as for any rotation (the pinned
 * previous root, the custodians its root keys), then the request is built; refusals name the plan's paths.
 */
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { intentHash, type IntentHash } from '../ceremony/plan-hash.js';
import { buildCertificateRequest, type CertificateRequest } from './certificate-request.js';
import { checkRotationPlanDates, parseRotationPlan, resolveRotationPlan, type RotationPlan } from './plan.js';

export interface PlannedCertificateRenewal {
  plan: RotationPlan;
  hash: IntentHash;
  request: CertificateRequest;
}

/** Whether a plan renews root certificates (then `rotate` writes a certificate request). */
export function isCertificateRenewalPlan(plan: RotationPlan): boolean {
  return plan.root?.renewCertificates !== undefined;
}

export function planCertificateRenewal(planBytes: Uint8Array, files: ReadonlyMap<string, Uint8Array>, now: Date): PlannedCertificateRenewal {
  const plan = parseRotationPlan(planBytes);
  const rc = plan.root?.renewCertificates;
  if (!rc) throw new CeremonyError('PLAN_INVALID', 'this plan does not renew certificates ($.root.renewCertificates)', { path: '$.root' });
  checkRotationPlanDates(plan, now);
  const resolved = resolveRotationPlan(plan, files);
  const rootIds = resolved.previous.signed.roles.get('root')!.keyids;
  const byName = new Map(plan.custodians.map((c) => [c.name, c.keyid]));
  if (!rc.custodians) {
    // Renewing "every" certificate: every root key must have a named custodian, or one would be left out silently.
    const named = new Set(byName.values());
    const unnamed = rootIds.filter((id) => !named.has(id));
    if (unnamed.length) {
      throw new CeremonyError('PLAN_INVALID', `root key${unnamed.length === 1 ? '' : 's'} ${unnamed.map((id) => `${id.slice(0, 12)}…`).join(', ')} ha${unnamed.length === 1 ? 's' : 've'} no custodian in $.custodians: name every root key's holder, or list whose certificates to renew in $.root.renewCertificates.custodians`, { path: '$.custodians' });
    }
  }
  const chosen = rc.custodians ?? plan.custodians.map((c) => c.name);
  const certificates = chosen.map((name) => ({ keyid: byName.get(name)!, name }));
  try {
    const request = buildCertificateRequest({
      previousRootBytes: files.get(plan.previousRoot.file)!,
      repository: plan.repository,
      expires: plan.expires.text,
      ...(rc.until ? { certificatesUntil: rc.until.date } : {}),
      certificates,
      now,
    });
    return { plan, hash: intentHash(planBytes), request };
  } catch (err) {
    if (!isCeremonyError(err)) throw err;
    const path = err.path?.startsWith('$.validity') ? '$.root.renewCertificates.until' : err.path?.startsWith('$.certificates') ? '$.root.renewCertificates' : err.path === '$.expires' ? '$.expires' : err.path;
    throw new CeremonyError(err.code, messageWithoutPath(err), { ...(path ? { path } : {}), cause: err });
  }
}
