/**
 * Step 4: build root v1 and targets v1 from the plan and the recorded keys, and record the SHA-256 of
 * each one's canonical bytes — the bytes the custodians sign, shown to them (hex and words) before they
 * sign. A resumed ceremony rebuilds them and must get the same bytes (the signatures already collected are
 * over them); anything else means the state or an input changed, and is refused.
 */
import { CeremonyError } from '../../errors.js';
import { sha256Hex } from '../../crypto/digest.js';
import type { JsonObject } from '../../json/types.js';
import { getProfile } from '../../profiles/index.js';
import type { CeremonyContext } from '../context.js';
import { buildRootSigned, buildTargetsSigned } from '../metadata.js';
import type { MetadataRole } from '../state.js';
import type { Step } from './step.js';
import { inState, statePathOf } from '../state-where.js';

/** Record (or check against the record) the hash of a role's canonical bytes; returns it. */
export async function pinSigned(ctx: CeremonyContext, role: MetadataRole, signed: JsonObject): Promise<string> {
  const sha = sha256Hex(getProfile(ctx.plan.profile).canonical(signed));
  const recorded = ctx.state.signed[role];
  if (recorded !== undefined && recorded !== sha) {
    throw new CeremonyError(
      'CEREMONY_STATE_INVALID',
      `${role}.json v1 built now is not the one built before the interruption (SHA-256 ${sha.slice(0, 16)}…, recorded ${recorded.slice(0, 16)}…): the state or an input changed`,
      { path: inState(statePathOf(ctx), `$.signed.${role}`) },
    );
  }
  if (recorded === undefined) {
    ctx.state.signed[role] = sha;
    await ctx.save();
  }
  return sha;
}

export const buildMetadata: Step = {
  name: 'build-metadata',
  title: 'build root v1 and targets v1',
  applies: () => true,
  async run(ctx) {
    const root = await buildRootSigned(ctx);
    const targets = buildTargetsSigned(ctx.plan);
    const rootSha = await pinSigned(ctx, 'root', root);
    const targetsSha = await pinSigned(ctx, 'targets', targets);
    const roles = root.roles as Record<string, { keyids: string[]; threshold: number }>;
    const count = (r: string): string => `${roles[r]!.threshold} of ${roles[r]!.keyids.length}`;
    ctx.report(`  root.json v1: root ${count('root')}, targets ${count('targets')}, snapshot ${count('snapshot')}, timestamp ${count('timestamp')}; expires ${ctx.plan.root.expires.text}`);
    return {
      note: `root.json v1 lists ${Object.keys(root.keys as JsonObject).length} keys (root ${count('root')}, targets ${count('targets')}, snapshot ${count('snapshot')}, timestamp ${count('timestamp')}), expires ${ctx.plan.root.expires.text}; targets.json v1 has no targets, expires ${ctx.plan.targets.expires.text}`,
      digests: [
        { label: 'root.json v1, the bytes to sign', sha256: rootSha },
        { label: 'targets.json v1, the bytes to sign', sha256: targetsSha },
      ],
    };
  },
};
