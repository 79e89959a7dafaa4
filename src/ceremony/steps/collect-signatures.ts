/**
 * Step 5: signatures. Root v1 is signed by the first M custodians of the plan (M = the root threshold),
 * each on their own token, after the short hash of the exact bytes is shown; then targets by the targets
 * key, and — once the signed root and targets exist to be hashed — snapshot and (TUF) timestamp by theirs.
 * Every signature is verified through the profile before it is kept (signMetadata), and kept in the state
 * at once, so an interruption loses at most the signature being made. Signatures recorded before an
 * interruption are verified again against the rebuilt bytes before they count.
 */
import { CeremonyError } from '../../errors.js';
import { shortDigest, groupWords } from '../../crypto/digest-words.js';
import type { JsonObject } from '../../json/types.js';
import { getProfile } from '../../profiles/index.js';
import { metadataSigner } from '../../signers/metadata-signer.js';
import { signMetadata } from '../../tuf/sign.js';
import type { CeremonyContext } from '../context.js';
import { listingOf, signingKeyOf } from '../keys.js';
import { buildRootSigned, buildSnapshotSigned, buildTargetsSigned, buildTimestampSigned, fileOf } from '../metadata.js';
import { holdsRole } from '../plan.js';
import type { MetadataRole } from '../state.js';
import { pinSigned } from './build-metadata.js';
import type { Step } from './step.js';
import { inState, statePathOf } from '../state-where.js';

async function signRole(ctx: CeremonyContext, role: MetadataRole, signed: JsonObject, keyNames: readonly string[]): Promise<string[]> {
  const profile = getProfile(ctx.plan.profile);
  const sha = await pinSigned(ctx, role, signed);
  const data = profile.canonical(signed);
  const short = shortDigest(sha);
  const collected = [...(ctx.state.signatures[role] ?? [])];
  const who: string[] = [];
  for (const name of keyNames) {
    const listing = await listingOf(ctx, name);
    const record = ctx.state.keys[name]!;
    const person = record.custodian ?? (record.origin === 'software' ? 'rehearsal software key' : record.origin === 'shamir' ? SPLIT_KEY_PERSON : name);
    const earlier = collected.find((s) => s.keyid === listing.keyId);
    if (earlier) {
      const raw = profile.decodeSignature(earlier, listing.key, inState(statePathOf(ctx), `$.signatures.${role}`));
      if (!profile.verify(listing.key, raw, data)) {
        throw new CeremonyError('CEREMONY_STATE_INVALID', `the ${role} signature recorded for ${person} does not verify over the rebuilt bytes`, { path: inState(statePathOf(ctx), `$.signatures.${role}`) });
      }
      // Recorded in the state before the interruption (the transcript entry may not have been written).
      await ctx.record({
        step: `${role}.sign`,
        actor: record.custodian ? { name: record.custodian, role: 'custodian' } : { name: 'tuf-ceremony', role: 'app' },
        ...(record.origin === 'token' ? { token: { serial: record.tokenSerial!, ...(record.label ? { label: record.label } : {}), keyId: listing.keyId } } : {}),
        digests: [{ label: `${role}.json v1, the bytes signed`, sha256: sha }],
        note: `${person}'s signature of ${role}.json v1, made before the interruption and kept in the ceremony state, verified again over the rebuilt bytes`,
      });
      who.push(person);
      continue;
    }
    ctx.report(`  ${person}: signing ${role}.json v1 — bytes ${short.hex} (${groupWords(short.words)})`);
    const key = await signingKeyOf(ctx, name);
    const signer = metadataSigner(key, { profile: ctx.plan.profile, ...listing });
    // signMetadata verifies the signature through the profile before it returns it.
    const envelope = await signMetadata(profile, signed, [signer]);
    const sig = envelope.signatures.find((s) => s.keyid === listing.keyId)!;
    collected.push(sig);
    ctx.state.signatures[role] = [...collected];
    await ctx.save();
    await ctx.fault(`signed:${role}:${name}`);
    await ctx.record({
      step: `${role}.sign`,
      actor: record.custodian ? { name: record.custodian, role: 'custodian' } : { name: 'tuf-ceremony', role: 'app' },
      ...(record.origin === 'token' ? { token: { serial: record.tokenSerial!, ...(record.label ? { label: record.label } : {}), keyId: listing.keyId } } : {}),
      digests: [{ label: `${role}.json v1, the bytes signed`, sha256: sha }],
      note: `${person} signed ${role}.json v1 with ${record.origin === 'token' ? `key "${record.label}" on their token` : record.origin === 'shamir' ? 'the key in memory' : 'the rehearsal software key'}; the signature verified before it was kept`,
    });
    who.push(person);
  }
  return who;
}

/** Who signs with the Shamir-split software root key, in transcript notes. */
export const SPLIT_KEY_PERSON = 'the split software root key';

/**
 * The root signers: the first M custodians, and the Shamir-split software root key when this run holds it
 * (a multi-repository ceremony keeps it in memory until its last root is signed: multi-shamir.ts; a
 * one-repository ceremony has wiped it before signing, so it never signs there).
 */
export function rootSignerNames(ctx: CeremonyContext): string[] {
  const names = ctx.plan.custodians.slice(0, ctx.plan.root.threshold).map((c) => `root/${c.name}`);
  if (ctx.plan.shamir && ctx.keys.has('root/shamir')) names.push('root/shamir');
  return names;
}

export const collectSignatures: Step = {
  name: 'collect-signatures',
  title: 'collect the signatures',
  applies: () => true,
  async run(ctx) {
    const plan = ctx.plan;
    const rootSigners = rootSignerNames(ctx);
    const root = await buildRootSigned(ctx);
    const targets = buildTargetsSigned(plan);
    const parts: string[] = [];
    parts.push(`root.json by ${(await signRole(ctx, 'root', root, rootSigners)).join(', ')}`);
    parts.push(`targets.json by ${(await signRole(ctx, 'targets', targets, ['targets'])).join(', ')}`);
    const sigs = ctx.state.signatures;
    if (holdsRole(plan, 'snapshot')) {
      const snapshot = buildSnapshotSigned(plan, fileOf(plan, root, sigs.root!), fileOf(plan, targets, sigs.targets!));
      parts.push(`snapshot.json by ${(await signRole(ctx, 'snapshot', snapshot, ['snapshot'])).join(', ')}`);
      if (holdsRole(plan, 'timestamp')) {
        const timestamp = buildTimestampSigned(plan, fileOf(plan, snapshot, sigs.snapshot!));
        parts.push(`timestamp.json by ${(await signRole(ctx, 'timestamp', timestamp, ['timestamp'])).join(', ')}`);
      }
    }
    const digests = (['root', 'targets', 'snapshot', 'timestamp'] as const)
      .filter((r) => ctx.state.signed[r])
      .map((r) => ({ label: `${r}.json v1, the bytes signed`, sha256: ctx.state.signed[r]! }));
    return { note: `signed: ${parts.join('; ')}`, digests };
  },
};
