/** Helpers for share-card tests: edit a card's text the way a slip of the hand (or a forger) would. */
import { ALPHABET } from '../../../src/shamir/alphabet.js';
import { cardCheck, formatSplitId, parseShareCard, type ShareCard } from '../../../src/shamir/card.js';
import { CeremonyError } from '../../../src/errors.js';

/** The share data lines of a card text, as arrays of groups. */
export function dataGroups(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => /^\d+: /.test(l))
    .map((l) => l.replace(/^\d+: /, '').split(' '));
}

/** Replace group `group` (1-based) of share data line `line` (1-based) by `fn(group)`. */
export function editGroup(text: string, line: number, group: number, fn: (g: string) => string): string {
  return text
    .split('\n')
    .map((l) => {
      if (!l.startsWith(`${line}: `)) return l;
      const groups = l.slice(`${line}: `.length).split(' ');
      groups[group - 1] = fn(groups[group - 1]!);
      return `${line}: ${groups.join(' ')}`;
    })
    .join('\n');
}

/** A different alphabet character than `c`. */
export function other(c: string): string {
  const i = ALPHABET.indexOf(c.toUpperCase());
  return ALPHABET[(i + 7) % 32]!;
}

export function substitute(g: string, pos: number): string {
  return g.slice(0, pos) + other(g[pos]!) + g.slice(pos + 1);
}

export function swap(g: string, pos: number): string {
  return g.slice(0, pos) + g[pos + 1]! + g[pos]! + g.slice(pos + 2);
}

/** Set a header line (`name: value`), or remove it with `undefined`. */
export function setHeader(text: string, name: string, value: string | undefined): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${name}: `));
  if (at >= 0) {
    if (value === undefined) lines.splice(at, 1);
    else lines[at] = `${name}: ${value}`;
  } else if (value !== undefined) {
    lines.splice(lines.indexOf('share data:'), 0, `${name}: ${value}`);
  }
  return lines.join('\n');
}

/** Rewrite the card check so that it matches `fields` (what a forger who knows the format would do). */
export function withCardCheckFor(text: string, fields: ShareCard): string {
  return text.replace(/^card check: .*$/m, `card check: ${formatSplitId(cardCheck(fields))}`);
}

/** Parse and return the refusal (fails the test if it parses). */
export function refusal(text: string | Uint8Array, source?: string): CeremonyError {
  try {
    parseShareCard(text, source ? { source } : {});
  } catch (err) {
    if (err instanceof CeremonyError) return err;
    throw err;
  }
  throw new Error('expected the card to be refused');
}

/** Every group of the share data, for "no secret in messages" assertions. */
export function secretFragments(text: string): string[] {
  return dataGroups(text)
    .flat()
    .filter((g) => g.length >= 3);
}
