/**
 * The core's refusals are written for both front ends, and a few of them say what to do in the CLI's words:
 * resuming a multi-repository ceremony whose split root key must be re-entered names `run … --share-card
 * CARD…` (src/ceremony/multi-shamir.ts, multi-machine.ts). In the app the same step is the card entry on the
 * Root ceremony screen, so the words shown there (the refusal panel and the run's log) are the app's. The
 * code stays the core's: tests, the refusal panel's plain sentence (renderer/src/lib/format.ts) and the
 * README's code table go by it.
 *
 * Only the codes those core messages carry are rewritten (CEREMONY_CANNOT_RESUME, USAGE), and the option is
 * matched as a whole word, so text that merely contains it — a folder named `--share-card-backup` in a path
 * — is shown as it is (review-gaps6 L6).
 */
/** The option as a word of its own, not inside a longer one (`--share-card-backup`, `x--share-card`). */
const OPTION = String.raw`(?<![\w-])--share-card(?![\w-])`;

/** Where the core names the CLI option, the app's words; in order, the longest first. */
const CLI_TO_APP: [RegExp, string][] = [
  // "resume with 2 of its 3 share cards (run PLAN --bindings FILE --out DIR --share-card CARD…)"
  [new RegExp(String.raw`\s*\(run PLAN --bindings FILE --out DIR ${OPTION} CARD…\)`, 'g'), ': enter them below and press “Resume with these cards”'],
  [new RegExp(`${OPTION} given, but`, 'g'), 'share cards were entered, but'],
  // Nothing to resume (no interrupted ceremony in that folder): the way on is a new ceremony.
  [new RegExp(`(holds none: a new ceremony makes a new split key and writes its own cards); run again without ${OPTION}`, 'g'), '$1; start without cards'],
  [new RegExp(`run again without ${OPTION}`, 'g'), 'resume without cards'],
  [new RegExp(`${OPTION} resumes`, 'g'), 'share cards resume'],
  // Anything else naming the option (a core message this table does not know yet): at least not a CLI flag.
  [new RegExp(`${OPTION}(?: CARD…)?`, 'g'), 'the share cards'],
];

/** The codes whose core messages name `--share-card` (multi-shamir.ts, multi-machine.ts). */
const REWORDED = new Set(['CEREMONY_CANNOT_RESUME', 'USAGE']);

/** `message` with the CLI's instructions for share cards put in the app's words. */
export function inAppWords(message: string): string {
  let out = message;
  for (const [cli, app] of CLI_TO_APP) out = out.replace(cli, app);
  return out;
}

/** A failure's message as the app shows it: reworded only for the codes whose core messages need it. */
export function appFailureMessage(code: string, message: string): string {
  return REWORDED.has(code) ? inAppWords(message) : message;
}
