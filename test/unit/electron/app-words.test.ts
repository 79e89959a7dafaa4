/**
 * The core's share-card instructions in the CLI's words (`--share-card`) become the app's (electron/main/
 * app-words.ts). The rows are the core's messages as src/ceremony/multi-shamir.ts and multi-machine.ts
 * write them; the real CEREMONY_CANNOT_RESUME is also driven end to end in multi-ceremony.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { appFailureMessage, inAppWords } from '../../../electron/main/app-words.js';

describe('inAppWords', () => {
  const rows: [core: string, app: string][] = [
    [
      'the software root key split ABCD-EF01 (fingerprint 0123456789abcdef…) was wiped when the interrupted run stopped — it is never written down — and 1 repository still needs its root signed by it: resume with 2 of its 3 share cards (run PLAN --bindings FILE --out DIR --share-card CARD…); nothing was signed',
      'the software root key split ABCD-EF01 (fingerprint 0123456789abcdef…) was wiped when the interrupted run stopped — it is never written down — and 1 repository still needs its root signed by it: resume with 2 of its 3 share cards: enter them below and press “Resume with these cards”; nothing was signed',
    ],
    [
      '--share-card given, but the interrupted run stopped before its split key was recorded: that key can never be rebuilt, and this run makes a new one with new cards; run again without --share-card',
      'share cards were entered, but the interrupted run stopped before its split key was recorded: that key can never be rebuilt, and this run makes a new one with new cards; resume without cards',
    ],
    [
      "--share-card given, but every repository's root is already written: the split key has nothing left to sign; run again without --share-card",
      "share cards were entered, but every repository's root is already written: the split key has nothing left to sign; resume without cards",
    ],
    [
      '--share-card resumes an interrupted ceremony, but out holds none: a new ceremony makes a new split key and writes its own cards; run again without --share-card',
      // Nothing to resume there: the way on is a new ceremony.
      'share cards resume an interrupted ceremony, but out holds none: a new ceremony makes a new split key and writes its own cards; start without cards',
    ],
    // A message this table does not know: the option is still not shown as a CLI flag.
    ['give --share-card CARD… twice', 'give the share cards twice'],
    // Nothing to change.
    ['the token was pulled', 'the token was pulled'],
  ];
  it.each(rows)('%s', (core, app) => {
    expect(inAppWords(core)).toBe(app);
    expect(inAppWords(core)).not.toContain('--share-card');
    expect(appFailureMessage('CEREMONY_CANNOT_RESUME', core)).toBe(app);
    expect(appFailureMessage('USAGE', core)).toBe(app);
  });

  it('text that only contains the option (a folder named after it) and other codes are shown as they are (review-gaps6 L6)', () => {
    const rows: [code: string, message: string][] = [
      ['USAGE', 'the plan /media/usb/--share-card-backup/plan.json names no repositories'],
      ['USAGE', 'the output folder /x/old--share-card holds files of another ceremony'],
      ['FILE_NOT_FOUND', '/media/usb/--share-card/plan.json does not exist'],
      ['TOKEN_REMOVED', 'run again without --share-card'],
    ];
    for (const [code, message] of rows) expect(appFailureMessage(code, message), `${code}: ${message}`).toBe(message);
    // Beside such a path, the core's own instruction is still reworded.
    expect(appFailureMessage('USAGE', '--share-card given, but /m/--share-card-backup holds none')).toBe('share cards were entered, but /m/--share-card-backup holds none');
  });
});
