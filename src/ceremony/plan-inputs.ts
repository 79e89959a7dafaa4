/**
 * The files a plan names next to it — server keys (`{keyFile, sha256}`) and publishers' targets keys — read
 * and checked against the plan's hashes before anything is written, so a wrong file is refused early
 * (PLAN_INPUT_MISMATCH), and listed as the ceremony's inputs in the transcript.
 */
import { join } from 'node:path';
import { CeremonyError } from '../errors.js';
import { readFileCapped } from '../io/files.js';
import { readPublisherKeyFile } from './context.js';
import { parseRoleKeyFile } from './online-key.js';
import type { CeremonyPlan } from './plan.js';
import { parsePublisherKey } from './publisher-key.js';
import { SERVER_KEY_MAX_BYTES } from './server-key.js';

export async function readPlanInputs(plan: CeremonyPlan, planDir: string): Promise<{ name: string; sha256: string }[]> {
  const out: { name: string; sha256: string }[] = [];
  for (const role of ['snapshot', 'timestamp'] as const) {
    const src = plan[role].key;
    if (src.kind !== 'server') continue;
    let bytes: Uint8Array;
    try {
      bytes = await readFileCapped(join(planDir, src.keyFile), SERVER_KEY_MAX_BYTES);
    } catch (err) {
      throw new CeremonyError('PLAN_INPUT_MISMATCH', `${src.keyFile}, the ${role} key the plan names, cannot be read next to the plan`, { path: `$.${role}.keyFile`, cause: err });
    }
    parseRoleKeyFile(plan.profile, role, bytes, src.keyFile, src.sha256, plan.repository);
    out.push({ name: src.keyFile, sha256: src.sha256 });
  }
  for (const p of plan.targets.publishers) {
    parsePublisherKey(await readPublisherKeyFile(planDir, p), p.keyFile, plan.profile, p.sha256);
    out.push({ name: p.keyFile, sha256: p.sha256 });
  }
  return out;
}
