/**
 * Step 3 (when the plan has `shamir`): the software root key. Generated in memory, checked (a test
 * signature), given its Notary certificate while it exists, split M-of-N into share cards
 * (src/shamir: every card read back from its text, subsets recombined with the plain library, before any
 * card leaves), the cards written — `share-card-K-of-N.txt` and the printable `share-cards.html`, mode 0600,
 * the only secrets a ceremony ever writes — and read back; then the key is wiped. The cards are its only
 * copies; the state keeps its public key, certificate and split ID.
 *
 * Resume: the state records the key only after every card is written. Cards found without that record
 * belong to a key that was wiped before it was recorded, so they are refused (they must be destroyed, not
 * reused): the ceremony cannot know they are complete.
 */
import { join } from 'node:path';
import { CeremonyError, isCeremonyError } from '../../errors.js';
import { assertAbsent, ensurePrivateDir, readFileCapped, writeFileAtomic } from '../../io/files.js';
import { makeNotaryRootCertificate } from '../../signers/certificate.js';
import { listPublicKey } from '../../signers/public-key-json.js';
import { algorithmTitle } from '../../signers/signing-key.js';
import { SoftwareKey } from '../../signers/software.js';
import { formatShareCard, formatSplitId, parseShareCard, renderShareCardsHtml, SHARE_CARD_MAX_BYTES, splitKey, wipeShareCard, type ShareCard } from '../../shamir/index.js';
import { spkiText } from '../keys.js';
import type { EntryInput } from '../../audit/transcript.js';
import { verifyTranscript } from '../../audit/verify.js';
import { MAX_TRANSCRIPT_BYTES } from '../../audit/schema.js';
import { TRANSCRIPT_FILE } from '../outputs.js';
import type { CeremonyContext } from '../context.js';
import type { CeremonyPlan } from '../plan.js';
import type { KeyRecord } from '../state.js';
import { selfTest } from './generate-keys.js';
import { clipNote, type Step } from './step.js';

export const SHAMIR_KEY = 'root/shamir';
export const SHARE_CARDS_HTML = 'share-cards.html';
const SPLIT_STEP = 'shamir.split';

export function shareCardFile(index: number, shares: number): string {
  return `share-card-${index}-of-${shares}.txt`;
}

export function shareCardFiles(shares: number): string[] {
  return [...Array.from({ length: shares }, (_, i) => shareCardFile(i + 1, shares)), SHARE_CARDS_HTML];
}

const encoder = new TextEncoder();

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Refuse share cards found without the state's record of their key (shared with the multi-repository
 * ceremony, multi-shamir.ts): they belong to a key that was wiped before it was recorded, so they must be
 * destroyed, not reused — the ceremony cannot know they are complete.
 */
export async function refuseUnrecordedCards(ctx: CeremonyContext, files: readonly string[]): Promise<void> {
  try {
    await assertAbsent(files.map((f) => join(ctx.layout.secret, f)));
  } catch (err) {
    if (!isCeremonyError(err, 'OUTPUT_EXISTS')) throw err;
    throw new CeremonyError(
      'CEREMONY_CANNOT_RESUME',
      `${err.path ? err.path.split(/[\\/]/).pop() : 'a share card'} exists, but the ceremony never recorded its key: the Shamir backup was interrupted after writing cards of a key that is now wiped. Destroy those cards (they can never be completed), then resume`,
      { path: err.path, cause: err },
    );
  }
}

/** Every recorded card still there (a resumed ceremony). */
export async function checkRecordedCards(ctx: CeremonyContext, cards: readonly string[]): Promise<void> {
  for (const name of cards) {
    await readFileCapped(join(ctx.layout.secret, name), 4 * 1024 * 1024).catch((err: unknown) => {
      throw new CeremonyError('CEREMONY_OUTPUT_CHANGED', `${name}, written by the Shamir backup before the interruption, is gone`, { path: join(ctx.layout.secret, name), cause: err });
    });
  }
}

/**
 * Split `key` M-of-N (every card read back from its text, subsets recombined with the plain library,
 * before any card leaves), write the cards and the printable sheet (mode 0600) and read each card back.
 * The cards in memory are wiped before this returns; the key is the caller's to dispose. Returns the split ID.
 */
export async function writeShareCards(ctx: CeremonyContext, key: SoftwareKey, s: NonNullable<CeremonyPlan['shamir']>, label: string | undefined): Promise<string> {
  const rehearsal = ctx.rehearsal !== undefined;
  const files = shareCardFiles(s.shares);
  let cards: ShareCard[] = [];
  try {
    const split = await key.withSecret((secret) => splitKey(s.keyAlgorithm, secret, { threshold: s.threshold, shares: s.shares, label, rehearsal }));
    cards = split.cards;
    if (split.publicKey.fingerprint !== key.fingerprint) throw new CeremonyError('INTERNAL', 'the share cards record another key than the one split');
    await ctx.fault('shamir:split');
    await ensurePrivateDir(ctx.layout.secret);
    for (let i = 0; i < cards.length; i++) {
      const path = join(ctx.layout.secret, files[i]!);
      const bytes = encoder.encode(formatShareCard(cards[i]!));
      try {
        await writeFileAtomic(path, bytes, { mode: 0o600 });
      } finally {
        bytes.fill(0);
      }
      // Read back what was written, and check it is the card.
      const back = await readFileCapped(path, SHARE_CARD_MAX_BYTES);
      try {
        const again = parseShareCard(back, { source: files[i]! });
        const same = again.index === cards[i]!.index && equal(again.share, cards[i]!.share);
        wipeShareCard(again);
        if (!same) throw new CeremonyError('INTERNAL', `${files[i]} does not read back as the card written`);
      } finally {
        back.fill(0);
      }
      await ctx.fault(`shamir:card-${i + 1}`);
    }
    const html = encoder.encode(await renderShareCardsHtml(cards, { rehearsal }));
    try {
      await writeFileAtomic(join(ctx.layout.secret, SHARE_CARDS_HTML), html, { mode: 0o600 });
    } finally {
      html.fill(0);
    }
    return split.splitId;
  } finally {
    for (const c of cards) wipeShareCard(c);
  }
}

/** The `shamir.split` entry of the split recorded in the state (the same whether written at once or on resume). */
function splitEntry(ctx: CeremonyContext, fingerprint: string, splitId: string, s: NonNullable<CeremonyPlan['shamir']>, wiped: string, tail = ''): EntryInput {
  const files = shareCardFiles(s.shares);
  const rehearsal = ctx.rehearsal !== undefined;
  const what = `software root key (${algorithmTitle(s.keyAlgorithm)})`;
  return {
    step: SPLIT_STEP,
    actor: { name: 'tuf-ceremony', role: 'app' },
    digests: [{ label: `${what} fingerprint`, sha256: fingerprint }],
    note: clipNote(`${what} made in memory, checked, split ${formatSplitId(splitId)} into ${s.shares} share cards (any ${s.threshold} rebuild it), cards read back and checked, ${wiped}${rehearsal ? ' (REHEARSAL cards)' : ''}; cards: ${files[0]} … ${files[s.shares - 1]} and ${SHARE_CARDS_HTML} (secret: print, hand out, destroy the files)${tail}`),
  };
}

/** Record the split key (state, then transcript: `shamir.split`), once every card is written. */
export async function recordSplitKey(ctx: CeremonyContext, record: KeyRecord, splitId: string, s: NonNullable<CeremonyPlan['shamir']>, wiped: string): Promise<void> {
  ctx.state.keys[SHAMIR_KEY] = record;
  ctx.state.shamir = { splitId, fingerprint: record.fingerprint!, threshold: s.threshold, shares: s.shares, cards: shareCardFiles(s.shares) };
  await ctx.save();
  // A stop here leaves the split in the state but not in the transcript: resume writes the entry (recordedSplitEntry).
  await ctx.fault('shamir:recorded');
  await ctx.record(splitEntry(ctx, record.fingerprint!, splitId, s, wiped));
  ctx.report(`  software root key (${algorithmTitle(s.keyAlgorithm)}): fingerprint ${record.fingerprint!.slice(0, 16)}…, split ${formatSplitId(splitId)}, ${s.threshold} of ${s.shares} cards`);
}

/**
 * Resume of a split recorded before the interruption (review L2): when the run stopped between saving the
 * state and writing `shamir.split`, the transcript would never name the split ID, M, N and fingerprint of
 * a key every root lists (README promises the entry). Written now from the state, saying so; nothing when
 * the transcript has it.
 */
export async function recordedSplitEntry(ctx: CeremonyContext, s: NonNullable<CeremonyPlan['shamir']>, wiped: string): Promise<void> {
  const split = ctx.state.shamir!;
  const path = join(ctx.layout.state, TRANSCRIPT_FILE);
  const t = verifyTranscript(await readFileCapped(path, MAX_TRANSCRIPT_BYTES), { allowUnsealed: true });
  if (t.entries.some((e) => e.step === SPLIT_STEP && e.digests?.some((d) => d.sha256 === split.fingerprint))) return;
  await ctx.record(splitEntry(ctx, split.fingerprint, split.splitId, s, wiped, '; entry written on resume: the interrupted run stopped after recording the split in its state, before this entry'));
}

export const shamirBackup: Step = {
  name: 'shamir-backup',
  title: 'make the software root key and split it into share cards',
  applies: (plan) => plan.shamir !== undefined,
  async run(ctx) {
    const s = ctx.plan.shamir!;
    const files = shareCardFiles(s.shares);
    const done = ctx.state.shamir;
    if (done && ctx.state.keys[SHAMIR_KEY]?.status === 'ready') {
      await checkRecordedCards(ctx, done.cards);
      await recordedSplitEntry(ctx, s, 'key wiped');
      return { note: `share cards of split ${formatSplitId(done.splitId)} were written before the interruption` };
    }
    await refuseUnrecordedCards(ctx, files);

    const rehearsal = ctx.rehearsal !== undefined;
    const key = SoftwareKey.generate(s.keyAlgorithm, { label: 'software root key (share cards)', rehearsal });
    let splitId: string;
    let record: KeyRecord;
    try {
      await selfTest(ctx, key, SHAMIR_KEY);
      for (const [other, rec] of Object.entries(ctx.state.keys)) {
        if (rec.fingerprint === key.fingerprint) throw new CeremonyError('KEY_DUPLICATE_IN_ROLE', `the software root key is the same public key as ${other}`);
      }
      let certificate: string | undefined;
      if (ctx.plan.profile === 'notary') {
        const now = ctx.now();
        certificate = (await makeNotaryRootCertificate(key, { gun: ctx.plan.repository, notBefore: new Date(now.getTime() - 5 * 60_000), notAfter: ctx.plan.root.expires.date })).pem;
      }
      const listed = listPublicKey(ctx.plan.profile, key.spki, certificate ? { certificatePem: certificate } : {});
      const label = ctx.plan.repository.length <= 128 ? ctx.plan.repository : undefined;
      splitId = await writeShareCards(ctx, key, s, label);
      record = { role: 'root', origin: 'shamir', algorithm: s.keyAlgorithm, status: 'ready', fingerprint: key.fingerprint, spki: spkiText(key.spki), keyId: listed.keyId };
      if (certificate) record.certificate = certificate;
    } finally {
      key.dispose();
    }
    await recordSplitKey(ctx, record, splitId, s, 'key wiped');
    return { note: `split ${formatSplitId(splitId)}: ${s.shares} share cards of the software root key, any ${s.threshold} rebuild it` };
  },
};
