/**
 * Step 1: every custodian's token is the expected one, before anything is made on it. A real token is
 * found by the serial (and label) the plan or the site bindings name, shown to the custodian, and only then
 * logged in to (PRODUCT.md §2.1: a wrong token is caught before the PIN is asked); its serial is recorded,
 * and a resumed ceremony refuses any other token. The token must be able to make the key types the plan
 * asks of it.
 */
import { CeremonyError } from '../../errors.js';
import { algorithmTitle } from '../../signers/signing-key.js';
import type { KeyAlgorithm } from '../../profiles/profile.js';
import { describeToken } from '../../signers/pkcs11/errors.js';
import { plannedKeys } from '../plan.js';
import { refuseSoftwareToken, type TokenIdentity } from '../tokens.js';
import { clipNote, type Step } from './step.js';

/** Where the token was found and what it is, for the transcript (the pair (serial, label) is in `token`). */
function identityText(id: TokenIdentity): string {
  const parts = [`slot "${id.slotDescription}"`, `${id.manufacturer} ${id.model}`, `module ${id.module} (${id.moduleFamily})`];
  if (id.libraryParameters) parts.push(`module parameters: ${id.libraryParameters}`);
  if (!id.serialUnique) parts.push('serial not unique on this module: the label names the token');
  parts.push(id.software ? `SOFTWARE TOKEN (${id.software}): keys kept in files on this computer` : 'no known software model');
  return parts.join('; ');
}

export const checkTokens: Step = {
  name: 'check-tokens',
  title: 'check the custodians\' tokens',
  applies: () => true,
  async run(ctx) {
    const needs = new Map<string, KeyAlgorithm[]>();
    for (const k of plannedKeys(ctx.plan)) {
      if (k.source.kind === 'token') needs.set(k.source.custodian, [...(needs.get(k.source.custodian) ?? []), k.source.keyAlgorithm]);
    }
    const lines: string[] = [];
    // All tokens found and named before the first PIN (issue #16): a missing token is said before any
    // custodian has typed a PIN, not half-way through the roll-call.
    if (ctx.tokens.checkPresence) {
      const present = await ctx.tokens.checkPresence(ctx.plan.custodians, ctx.state.tokens);
      ctx.report(`  every token is inserted: ${present.map((p) => `${p.custodian}: ${describeToken(p.token)}`).join('; ')}`);
    }
    for (const c of ctx.plan.custodians) {
      const t = await ctx.token(c.name);
      const pinned = c.token;
      let matches: string;
      if (ctx.tokens.standIn) {
        matches = pinned ? `a rehearsal token stands in for the planned one (${describeToken({ serial: pinned.serial ?? '', label: pinned.label ?? '' })})` : 'a rehearsal token';
      } else {
        if (pinned?.serial !== undefined && t.token.serial !== pinned.serial) {
          throw new CeremonyError('TOKEN_NOT_PRESENT', `${c.name}'s token is ${describeToken(t.token)}, not the serial ${pinned.serial} the plan expects`);
        }
        if (pinned?.label !== undefined && t.token.label !== pinned.label) {
          throw new CeremonyError('TOKEN_NOT_PRESENT', `${c.name}'s token is ${describeToken(t.token)}, not labelled "${pinned.label}" as the plan expects`);
        }
        matches = pinned ? 'the token the plan names' : 'chosen on the day (the plan names no token)';
      }
      const id = t.identity;
      // Backstop for providers that open tokens without the policy (the real provider refuses before the PIN).
      refuseSoftwareToken(c.name, t.token, id?.software, ctx.plan.allowSoftwareTokens === true, ctx.rehearsal !== undefined || ctx.tokens.standIn);
      for (const alg of needs.get(c.name) ?? []) {
        if (t.canMake?.(alg) === false) {
          throw new CeremonyError('MECHANISM_UNSUPPORTED', `${c.name}'s ${describeToken(t.token)} cannot make ${algorithmTitle(alg)} keys, which the plan asks of it`);
        }
      }
      await ctx.record({
        step: 'token.check',
        actor: { name: c.name, role: 'custodian' },
        token: { serial: t.token.serial, ...(t.token.label ? { label: t.token.label } : {}) },
        note: clipNote(`${c.name}'s token is present: ${matches}${id ? `; ${identityText(id)}` : ''}`),
      });
      ctx.report(`  ${c.name}: ${describeToken(t.token)} — ${matches}`);
      lines.push(`${c.name}: ${describeToken(t.token)}`);
    }
    return { note: clipNote(`${ctx.plan.custodians.length} tokens checked. ${lines.join("; ")}`) };
  },
};
