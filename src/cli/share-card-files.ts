/**
 * Share card files named on the command line (`run --share-card`, `shamir combine`): each read with the
 * card's size cap, parsed, and its raw bytes zeroed at once; on any refusal the cards read so far are wiped
 * before the error leaves. The caller wipes the cards it gets back (wipeShareCard) when it is done.
 */
import { basename } from 'node:path';
import { readFileCapped } from '../io/files.js';
import { SHARE_CARD_MAX_BYTES, parseShareCard, wipeShareCard, type ShareCard } from '../shamir/index.js';

export async function readShareCardFiles(paths: readonly string[]): Promise<ShareCard[]> {
  const cards: ShareCard[] = [];
  try {
    for (const path of paths) {
      const bytes = await readFileCapped(path, SHARE_CARD_MAX_BYTES);
      try {
        cards.push(parseShareCard(bytes, { source: basename(path) }));
      } finally {
        bytes.fill(0);
      }
    }
    return cards;
  } catch (err) {
    cards.forEach(wipeShareCard);
    throw err;
  }
}
