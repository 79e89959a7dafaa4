/**
 * `tuf-ceremony shamir split | check | combine` (PRODUCT.md §2.2, §3): share cards from the command line.
 * Thin: arguments → core (src/shamir) → files and text. Never prints or writes a private key; the card
 * files written by `split` are the only secrets this tool ever exports, and only on that explicit command.
 */
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { assertAbsent, readFileCapped, writeFileAtomic } from '../io/files.js';
import {
  SHARE_CARD_MAX_BYTES,
  formatShareCard,
  formatSplitId,
  generateAndSplit,
  parseShareCard,
  publicKeyForms,
  renderShareCardsHtml,
  rollCall,
  wipeShareCard,
  withReconstructedKey,
  type ShamirAlgorithm,
} from '../shamir/index.js';
import type { Io } from './output.js';
import { readShareCardFiles } from './share-card-files.js';

const ALGORITHMS: Record<string, ShamirAlgorithm> = {
  ed25519: 'ed25519',
  p256: 'ecdsa-p256',
  'ecdsa-p256': 'ecdsa-p256',
  p384: 'ecdsa-p384',
  'ecdsa-p384': 'ecdsa-p384',
};

function wholeNumber(text: string, name: string): number {
  if (!/^\d{1,3}$/.test(text)) throw new CeremonyError('USAGE', `${name} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

const encoder = new TextEncoder();

export interface ShamirSplitOptions {
  algorithm: string;
  threshold: string;
  shares: string;
  out: string;
  label?: string;
  rehearsal?: boolean;
}

export async function shamirSplitCommand(opts: ShamirSplitOptions, io: Io): Promise<number> {
  const algorithm = ALGORITHMS[opts.algorithm.toLowerCase()];
  if (!algorithm) throw new CeremonyError('USAGE', `--algorithm must be ed25519, p256 or p384, not ${JSON.stringify(opts.algorithm)}`);
  const threshold = wholeNumber(opts.threshold, '--threshold');
  const shares = wholeNumber(opts.shares, '--shares');
  if (threshold < 2 || threshold > 255) throw new CeremonyError('USAGE', '--threshold must be from 2 to 255');
  if (shares < threshold || shares > 255) throw new CeremonyError('USAGE', '--shares must be from the threshold to 255');
  const names = [...Array.from({ length: shares }, (_, i) => `share-card-${i + 1}-of-${shares}.txt`), 'share-cards.html', 'public-key.json'];
  const paths = names.map((n) => join(opts.out, n));
  // Outputs never overwrite (writeFileAtomic refuses each one too); checked for all of them first so
  // that a clash leaves no half-written split behind.
  await assertAbsent(paths, ' (use a new --out directory)');

  const { cards, publicKey, splitId } = await generateAndSplit(algorithm, { threshold, shares, label: opts.label, rehearsal: Boolean(opts.rehearsal) });
  try {
    const forms = publicKeyForms(publicKey);
    for (let i = 0; i < cards.length; i++) {
      const bytes = encoder.encode(formatShareCard(cards[i]!));
      try {
        await writeFileAtomic(paths[i]!, bytes, { mode: 0o600 });
      } finally {
        bytes.fill(0);
      }
      // Read back what was written, and check it is the card (PRODUCT.md §2.5 habit).
      const back = await readFileCapped(paths[i]!, SHARE_CARD_MAX_BYTES);
      try {
        const again = parseShareCard(back, { source: names[i]! });
        const same = again.index === cards[i]!.index && again.share.every((b, k) => b === cards[i]!.share[k]);
        wipeShareCard(again);
        if (!same) throw new CeremonyError('INTERNAL', `${names[i]} does not read back as the card written`);
      } finally {
        back.fill(0);
      }
    }
    const html = encoder.encode(await renderShareCardsHtml(cards, { rehearsal: Boolean(opts.rehearsal) }));
    try {
      await writeFileAtomic(paths[shares]!, html, { mode: 0o600 });
    } finally {
      html.fill(0);
    }
    const pub = {
      algorithm,
      fingerprint: publicKey.fingerprint,
      split: formatSplitId(splitId),
      threshold,
      shares,
      ...(cards[0]!.label !== undefined ? { label: cards[0]!.label } : {}),
      rehearsal: Boolean(opts.rehearsal),
      tuf: forms.tuf,
      notary: forms.notary,
    };
    await writeFileAtomic(paths[shares + 1]!, encoder.encode(JSON.stringify(pub, null, 2) + '\n'));
  } finally {
    for (const c of cards) wipeShareCard(c);
  }

  io.out(`split ${formatSplitId(splitId)}: ${shares} share cards of a new ${algorithm} key, any ${threshold} of which rebuild it${opts.rehearsal ? ' (REHEARSAL)' : ''}`);
  io.out(`fingerprint: ${publicKey.fingerprint}`);
  io.out(`wrote ${names.slice(0, shares).join(', ')} in ${opts.out}: the only copies of the private key`);
  io.out(`wrote share-cards.html (print it: one card per page, then destroy the files) and public-key.json (public key only)`);
  return 0;
}

export interface ShamirCheckOptions {
  split?: string;
  fingerprint?: string;
}

export async function shamirCheckCommand(path: string, opts: ShamirCheckOptions, io: Io): Promise<number> {
  const bytes = await readFileCapped(path, SHARE_CARD_MAX_BYTES);
  let r;
  try {
    r = rollCall(bytes, { splitId: opts.split, fingerprint: opts.fingerprint }, { source: basename(path) });
  } finally {
    bytes.fill(0);
  }
  io.out(`OK: share ${r.index} of split ${formatSplitId(r.splitId)} is intact (any ${r.threshold} of ${r.shares} cards, ${r.algorithm}${r.rehearsal ? ', REHEARSAL' : ''})`);
  io.out(`fingerprint: ${r.fingerprint}`);
  if (r.label !== undefined) io.out(`label: ${r.label}`);
  const checked = [opts.split ? 'split' : '', opts.fingerprint ? 'fingerprint' : ''].filter(Boolean);
  if (checked.length === 2) io.out('split and fingerprint are the ones expected');
  else io.out(`compare the ${checked.length ? (checked[0] === 'split' ? 'fingerprint' : 'split') : 'split and fingerprint'} with the ceremony record (--split, --fingerprint check them)`);
  return 0;
}

export interface ShamirCombineOptions {
  verifyOnly?: boolean;
  split?: string;
  fingerprint?: string;
}

export async function shamirCombineCommand(paths: string[], opts: ShamirCombineOptions, io: Io): Promise<number> {
  if (!opts.verifyOnly) {
    throw new CeremonyError('USAGE', 'combine needs --verify-only: it rebuilds the key only to check it; signing with a rebuilt key is part of a ceremony');
  }
  const cards = await readShareCardFiles(paths);
  try {
    const result = await withReconstructedKey(cards, (key) => ({ fingerprint: key.fingerprint, algorithm: key.algorithm, splitId: key.splitId }), {
      splitId: opts.split,
      fingerprint: opts.fingerprint,
    });
    io.out(`OK: ${cards.length} cards of split ${formatSplitId(result.splitId)} rebuild the ${result.algorithm} key they record; it was wiped from memory`);
    io.out(`fingerprint: ${result.fingerprint}`);
    return 0;
  } finally {
    for (const c of cards) wipeShareCard(c);
  }
}

/** Register `shamir split | check | combine` on the program; `done` receives each action's exit status. */
export function registerShamirCommands(program: Command, io: Io, done: (status: number) => void): void {
  const shamir = program
    .command('shamir')
    .description('Shamir share cards: split a new software key, check a card (roll-call), verify a set of cards')
    // Without a command, say so as `error[USAGE]` first on stderr (commander would print its help there).
    .action(() => {
      throw new CeremonyError('USAGE', 'shamir needs a command: split, check CARD, or combine CARD… --verify-only');
    });
  shamir
    .command('split')
    .description('generate a software key in memory and split it into M-of-N share cards')
    .requiredOption('--algorithm <ALG>', 'ed25519, p256 or p384')
    .requiredOption('--threshold <M>', 'cards needed to rebuild the key (2 or more)')
    .requiredOption('--shares <N>', 'cards to make (M to 255)')
    .requiredOption('--out <DIR>', 'where to write share-card-K-of-N.txt, share-cards.html and public-key.json (nothing is overwritten)')
    .option('--label <TEXT>', 'printed on every card, e.g. the GUN')
    .option('--rehearsal', 'mark the cards as rehearsal cards')
    .action(async (opts: ShamirSplitOptions) => done(await shamirSplitCommand(opts, io)));
  shamir
    .command('check')
    .description('roll-call: check one card (checksums, version, split, key) without rebuilding anything')
    .argument('<CARD>', 'a typed share card file')
    .option('--split <ID>', 'the split the card must belong to')
    .option('--fingerprint <HEX>', 'the key the card must be a share of')
    .action(async (path: string, opts: ShamirCheckOptions) => done(await shamirCheckCommand(path, opts, io)));
  shamir
    .command('combine')
    .description('rebuild the key from cards, check it against the recorded fingerprint, and wipe it')
    .argument('<CARD...>', 'typed share card files')
    .option('--verify-only', 'only check that the cards rebuild the key (required)')
    .option('--split <ID>', 'the split the cards must belong to')
    .option('--fingerprint <HEX>', 'the key the cards must rebuild')
    .action(async (paths: string[], opts: ShamirCombineOptions) => done(await shamirCombineCommand(paths, opts, io)));
}
