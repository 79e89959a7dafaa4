/**
 * The core's refusals are written for both front ends, and a few of them say what to do in the CLI's words:
 * resuming a multi-repository ceremony whose split root key must be re-entered names `run … --share-card
 * CARD…` (src/ceremony/multi-shamir.ts, multi-machine.ts). In the app the same step is the card entry on the
 * Root ceremony screen, so the words shown there (the refusal panel and the run's log) are the app's. The
 * code stays the core's: tests, the refusal panel's plain sentence (renderer/src/lib/format.ts) and the
 * README's code table go by it.
 */
/** Where the core names the CLI option, the app's words; in order, the longest first. */
const CLI_TO_APP: [RegExp, string][] = [
  // "resume with 2 of its 3 share cards (run PLAN --bindings FILE --out DIR --share-card CARD…)"
  [/\s*\(run PLAN --bindings FILE --out DIR --share-card CARD…\)/g, ': enter them below and press “Resume with these cards”'],
  [/--share-card given, but/g, 'share cards were entered, but'],
  [/run again without --share-card/g, 'resume without cards'],
  [/--share-card resumes/g, 'share cards resume'],
  // Anything else naming the option (a core message this table does not know yet): at least not a CLI flag.
  [/--share-card(?: CARD…)?/g, 'the share cards'],
];

/** `message` with the CLI's instructions for share cards put in the app's words. */
export function inAppWords(message: string): string {
  let out = message;
  for (const [cli, app] of CLI_TO_APP) out = out.replace(cli, app);
  return out;
}
