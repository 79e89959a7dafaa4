/**
 * The Shamir-split software root key of a multi-repository ceremony (issue #17, multi-plan.ts `shamir`):
 * ONE key for every repository of the plan, a root key like a custodian's. It is made in memory, split
 * M-of-N into share cards exactly as a one-repository ceremony splits its key (steps/shamir-backup.ts:
 * the same cards, read back, the same `shamir.split` entry), and kept in memory while the repositories are
 * signed: for each Notary GUN it issues its root certificate (CN = that GUN), and it signs every
 * repository's root.json v1 beside the custodians. It is wiped (SoftwareKey.dispose: the secret's
 * Uint8Array filled with 0) after the last root is signed, or when the run stops. It is never written
 * anywhere but on the cards.
 *
 * The order, and why: made → split → cards written and read back → recorded in the state → only then used.
 * The key lives only in this process, so the cards must exist before anything depends on the key. Had
 * the cards come after the signatures (as "split, then wipe" reads), a crash half-way would leave roots
 * that list, and are signed by, a key nobody can ever rebuild. With the cards first, both crash cases
 * recover:
 *
 * - stopped before the record (while splitting or writing cards): nothing was signed or certified by that
 *   key — its first use follows the record — so the resumed run makes a new key; cards of the lost key
 *   found on disk are refused first (CEREMONY_CANNOT_RESUME: destroy them, they can never be completed),
 *   as for one repository;
 * - stopped after the record: the key is gone with the process. Repositories already written need nothing
 *   of it (their certificates and signatures are adopted from their files: multi-resume.ts). If some
 *   repository still needs its root signed, custodians re-enter M of the N cards (`run --share-card FILE…`):
 *   they are checked (checksums, one split, the recorded split ID and fingerprint; src/shamir/combine.ts)
 *   and combined with the same code co-signing with cards uses (withReconstructedKey), the rebuilt key
 *   must have the recorded fingerprint and pass a test signature, and the transcript says so
 *   (`shamir.rebuild`). Without cards the resume is refused (CEREMONY_CANNOT_RESUME) naming the split, M,
 *   and what to run; nothing is signed.
 */
import { CeremonyError } from '../errors.js';
import { formatSplitId, withReconstructedKey, wipeShareCard, type ShareCard } from '../shamir/index.js';
import { listPublicKey } from '../signers/public-key-json.js';
import { algorithmTitle } from '../signers/signing-key.js';
import { SoftwareKey } from '../signers/software.js';
import type { CeremonyContext } from './context.js';
import { spkiText } from './keys.js';
import type { MultiRepositoryPlan } from './multi-plan.js';
import type { CeremonyState, KeyRecord } from './state.js';
import { selfTest } from './steps/generate-keys.js';
import { checkRecordedCards, recordedSplitEntry, recordSplitKey, refuseUnrecordedCards, SHAMIR_KEY, shareCardFiles, writeShareCards } from './steps/shamir-backup.js';
import { clipNote } from './steps/step.js';

/** Where the share cards come from on resume: read only when a repository still needs the key. */
export type ShareCardSource = () => Promise<ShareCard[]>;

/** The card label of a multi-repository split: the first repository and how many more (≤ 128 characters). */
function cardLabel(plan: MultiRepositoryPlan): string | undefined {
  const n = plan.repositories.length;
  const text = n === 1 ? plan.repositories[0]!.name : `${plan.repositories[0]!.name} and ${n - 1} more`;
  return text.length <= 128 ? text : n > 1 ? `${n} repositories` : undefined;
}

/** What becomes of the multi-repository split key, as `shamir.split` says. */
function splitWiped(plan: MultiRepositoryPlan): string {
  return `key kept in memory only to certify and sign the ${plan.repositories.length} roots, then wiped`;
}

/**
 * Make the split key (the `shamir-backup` step of a multi-repository ceremony), or find it recorded before
 * an interruption. Returns the key when made in this run (the caller keeps it until the last root, then
 * disposes it), undefined when it was recorded before: its cards are then checked to be still there,
 * unless M of them were re-entered (`cardsGiven`: already checked against the recorded split — the files
 * may have been moved away or destroyed, as the resume advice allows; review L4).
 */
export async function makeSplitRootKey(ctx: CeremonyContext, plan: MultiRepositoryPlan, opts: { cardsGiven?: boolean } = {}): Promise<{ key: SoftwareKey | undefined; note: string }> {
  const s = plan.shamir!;
  const done = ctx.state.shamir;
  if (done && ctx.state.keys[SHAMIR_KEY]?.status === 'ready') {
    if (!opts.cardsGiven) await checkRecordedCards(ctx, done.cards);
    await recordedSplitEntry(ctx, s, splitWiped(plan));
    return { key: undefined, note: `share cards of split ${formatSplitId(done.splitId)} were written before the interruption` };
  }
  await refuseUnrecordedCards(ctx, shareCardFiles(s.shares));
  const key = SoftwareKey.generate(s.keyAlgorithm, { label: 'software root key (share cards)', rehearsal: ctx.rehearsal !== undefined });
  try {
    await selfTest(ctx, key, SHAMIR_KEY);
    for (const [other, rec] of Object.entries(ctx.state.keys)) {
      if (rec.fingerprint === key.fingerprint) throw new CeremonyError('KEY_DUPLICATE_IN_ROLE', `the software root key is the same public key as ${other}`);
    }
    // No certificate here: each Notary repository gets its own (CN = its GUN) as it is signed.
    const listed = listPublicKey(ctx.plan.profile, key.spki);
    const splitId = await writeShareCards(ctx, key, s, cardLabel(plan));
    const record: KeyRecord = { role: 'root', origin: 'shamir', algorithm: s.keyAlgorithm, status: 'ready', fingerprint: key.fingerprint, spki: spkiText(key.spki), keyId: listed.keyId };
    await recordSplitKey(ctx, record, splitId, s, splitWiped(plan));
    return { key, note: `split ${formatSplitId(splitId)}: ${s.shares} share cards of the software root key shared by ${plan.repositories.length} repositories, any ${s.threshold} rebuild it` };
  } catch (err) {
    key.dispose();
    throw err;
  }
}

/** The split key for the repositories' certificates and root signatures, within one run. */
export interface SplitKeyHolder {
  /** This run's key, or the key rebuilt from re-entered cards (asked once, when first needed). */
  get(): Promise<SoftwareKey>;
  /** Wipe it (after the last root; again on any exit). */
  dispose(): void;
}

/**
 * The refusal of a resume that needs the wiped split key and was given no cards: what was lost, how many
 * roots wait for it, and what to run.
 */
export function cardsNeeded(state: CeremonyState, pending: number): CeremonyError {
  const record = state.keys[SHAMIR_KEY];
  const split = state.shamir!;
  return new CeremonyError(
    'CEREMONY_CANNOT_RESUME',
    `the software root key split ${formatSplitId(split.splitId)} (fingerprint ${(record?.fingerprint ?? split.fingerprint).slice(0, 16)}…) was wiped when the interrupted run stopped — it is never written down — and ${pending} repositor${pending === 1 ? 'y still needs its' : 'ies still need their'} root signed by it: resume with ${split.threshold} of its ${split.shares} share cards (run PLAN --bindings FILE --out DIR --share-card CARD…); nothing was signed`,
  );
}

/** The split key rebuilt from re-entered cards, before anything of the resumed run is written. */
export interface RebuiltSplitKey {
  key: SoftwareKey;
  /** The indexes of the cards it was rebuilt from (public: the transcript names them). */
  indexes: number[];
}

/**
 * Read the re-entered cards and rebuild the recorded split key from them — checksums, one split, count,
 * the recorded split ID and fingerprint — before the transcript is reopened or anything is written (review
 * M1): the cards are untrusted input, and a wrong try (M-1 cards, another split, a typo) must leave the
 * ceremony's folder byte for byte as it was. The cards are wiped whatever happens; the key is the caller's.
 */
export async function rebuildSplitKey(state: CeremonyState, cards: ShareCardSource): Promise<RebuiltSplitKey> {
  const record = state.keys[SHAMIR_KEY];
  const split = state.shamir;
  if (!record?.fingerprint || !split) throw new CeremonyError('INTERNAL', 'the split software root key is not recorded');
  const given = await cards();
  try {
    const key = await withReconstructedKey(
      given,
      (k) => SoftwareKey.fromSecret(k.algorithm, Uint8Array.from(k.secret), { label: 'software root key (rebuilt from share cards)', rehearsal: k.rehearsal, expectedFingerprint: record.fingerprint! }),
      { fingerprint: record.fingerprint, splitId: split.splitId },
    );
    return { key, indexes: given.map((c) => c.index) };
  } finally {
    for (const c of given) wipeShareCard(c);
  }
}

/**
 * The holder of this run's key (`made`), or of the key rebuilt from re-entered cards (`rebuilt`, checked
 * before anything was written): the rebuilt key's test signature and its `shamir.rebuild` entry come at
 * its first use. Neither: a resume that needs the key is refused (cardsNeeded).
 */
export function splitKeyHolder(ctx: CeremonyContext, made: SoftwareKey | undefined, rebuilt: RebuiltSplitKey | undefined, pending: () => number): SplitKeyHolder {
  let key = made;
  return {
    async get() {
      if (key && !key.disposed) return key;
      const split = ctx.state.shamir;
      if (!ctx.state.keys[SHAMIR_KEY]?.fingerprint || !split) throw new CeremonyError('INTERNAL', 'the split software root key is not recorded');
      if (!rebuilt || rebuilt.key.disposed) throw cardsNeeded(ctx.state, pending());
      const k = rebuilt.key;
      await selfTest(ctx, k, SHAMIR_KEY); // a failure disposes it (the caller's finally: dispose())
      key = k;
      const what = `software root key (${algorithmTitle(k.algorithm)})`;
      await ctx.record({
        step: 'shamir.rebuild',
        actor: { name: 'tuf-ceremony', role: 'app' },
        digests: [{ label: `${what} fingerprint`, sha256: k.fingerprint }],
        note: clipNote(
          `${what} rebuilt in memory from ${rebuilt.indexes.length} share cards (indexes ${rebuilt.indexes.join(', ')}) of split ${formatSplitId(split.splitId)}: checksums, one split, the recorded split and fingerprint checked, a test signature verified; it signs the ${pending()} roots the interruption left unsigned, then it is wiped`,
        ),
      });
      ctx.report(`  ${what} rebuilt from ${rebuilt.indexes.length} share cards of split ${formatSplitId(split.splitId)}: fingerprint ${k.fingerprint.slice(0, 16)}… as recorded`);
      return k;
    },
    dispose() {
      key?.dispose();
      rebuilt?.key.dispose();
    },
  };
}
