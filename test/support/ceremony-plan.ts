/**
 * Plan and site-bindings files for suites that run a ceremony on three custodians' tokens (`run PLAN
 * --bindings B`): the key roles every such plan here gives — each custodian's root key on their token,
 * targets on the first custodian's, snapshot on the second's, timestamp on the third's, all P-256 — and
 * the two files as the CLI reads them (bindings name the plan by its SHA-256, the module, and each PIN's
 * environment variable).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PlanCustodianToken {
  name: string;
  serial: string;
}

/** A plan's custodians and roles; key labels start with `labelPrefix` (`root-<name>`, `targets`, …). */
export function tokenPlanRoles(custodians: readonly [PlanCustodianToken, PlanCustodianToken, PlanCustodianToken], year: (n: number) => string, labelPrefix = '') {
  const [a, b, c] = custodians;
  return {
    custodians: custodians.map((x) => ({ name: x.name, token: { serial: x.serial }, keyAlgorithm: 'ecdsa-p256', keyLabel: `${labelPrefix}root-${x.name.toLowerCase()}` })),
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: a.name, keyAlgorithm: 'ecdsa-p256', keyLabel: `${labelPrefix}targets` }, expires: year(3) },
    snapshot: { key: { custodian: b.name, keyAlgorithm: 'ecdsa-p256', keyLabel: `${labelPrefix}snapshot` }, expires: year(3) },
    timestamp: { key: { custodian: c.name, keyAlgorithm: 'ecdsa-p256', keyLabel: `${labelPrefix}timestamp` }, expires: year(1) },
  };
}

/** `dir/plan.json` (pretty, as a reviewer saves it) and `dir/bindings.json` for it. */
export function writePlanAndBindings(dir: string, plan: object, module: string, pins: readonly { name: string; env: string }[]): { planBytes: Uint8Array; planPath: string; bindingsPath: string } {
  const planBytes = new Uint8Array(Buffer.from(JSON.stringify(plan, null, 2) + '\n'));
  const planPath = join(dir, 'plan.json');
  writeFileSync(planPath, planBytes);
  const bindingsPath = join(dir, 'bindings.json');
  const planSha256 = createHash('sha256').update(planBytes).digest('hex');
  writeFileSync(bindingsPath, JSON.stringify({ format: 'tuf-ceremony-site-bindings', version: 1, planSha256, module: { path: module }, custodians: Object.fromEntries(pins.map((c) => [c.name, { pin: { env: c.env } }])) }));
  return { planBytes, planPath, bindingsPath };
}
