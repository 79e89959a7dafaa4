/**
 * Issue #16: "no app message contains a CLI flag or a JSON path as its text" — a sweep over the app's
 * error paths. Each row is a refusal through the real IPC handlers (createIpcHandlers, as main registers
 * them) from input a person can give the screens: a file that is not JSON, a file of another kind, a
 * root with a wrong field, a folder with a stray file, a mistyped share card, a broken transcript, a plan
 * that is not a plan. What the screens show of each (plainMessage, as every refusal panel does, and the
 * sentence added for its code) must name no flag and no JSON path; the raw messages do (so the sweep
 * exercises the rewriting and cannot pass for want of paths).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import type { IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { explainCode, hasCliOrPathText, plainMessage } from '../../../renderer/src/lib/format.js';
import { pinRetryOf } from '../../../src/signers/pkcs11/pin-retry.js';
import { TokenError } from '../../../src/signers/pkcs11/errors.js';
import { rootFixture, type RootFixture } from '../rotation/support.js';

const enc = new TextEncoder();
const file = (name: string, bytes: Uint8Array | string) => ({ name, bytes: typeof bytes === 'string' ? enc.encode(bytes) : bytes });

let fx: RootFixture;
beforeAll(async () => {
  fx = await rootFixture('tuf');
});

/** root.json with `signed.version` made a string (a schema refusal with a path). */
function rootWithBadVersion(): Uint8Array {
  const doc = JSON.parse(new TextDecoder().decode(fx.rootV1)) as { signed: { version: unknown } };
  doc.signed.version = 'one';
  return enc.encode(JSON.stringify(doc));
}

describe('app error paths: what the screens show names no CLI flag and no JSON path', () => {
  it('every refusal in the sweep, as a refusal panel shows it', async () => {
    const h = createIpcHandlers();
    const rows: Array<[string, (typeof CHANNELS)[keyof typeof CHANNELS], unknown]> = [
      ['inspect: not JSON', CHANNELS.inspectFiles, { files: [file('root.json', 'not json {')] }],
      ['inspect: a plan, not metadata', CHANNELS.inspectFiles, { files: [file('plan.json', '{"format":"tuf-ceremony-plan","version":1}')] }],
      ['inspect: a wrong field', CHANNELS.inspectFiles, { files: [file('root.json', rootWithBadVersion())] }],
      ['inspect: a folder with a stray file', CHANNELS.inspectFiles, { files: [file('root.json', fx.rootV1), file('notes.txt', 'hello')], directory: true, source: 'repo' }],
      ['export: a folder with a stray file', CHANNELS.exportPrepareFolder, { files: [file('root.json', fx.rootV1), file('share-card-1-of-3.txt', 'x')], source: 'out' }],
      ['rotation: a root that is not JSON', CHANNELS.rotationOpenRoot, { previousRoot: file('root.json', 'nope') }],
      ['rotation: a wrong field in the root', CHANNELS.rotationOpenRoot, { previousRoot: file('root.json', rootWithBadVersion()) }],
      ['rotation: a broken transcript', CHANNELS.rotationOpenRoot, { previousRoot: file('root.json', fx.rootV1), transcript: file('transcript.jsonl', '{"type":"header"}\n') }],
      ['co-sign: a root given as the request', CHANNELS.rotationReview, { request: file('request.json', fx.rootV1) }],
      ['transcript: not a transcript', CHANNELS.transcriptVerify, { file: file('transcript.jsonl', '{"format":"x"}\n') }],
      ['shamir: a mistyped card', CHANNELS.shamirRollCall, { card: { text: 'TUF-CEREMONY SHARE CARD\nversion: 1\nsplit: ZZZZ-ZZZZ\n' } }],
      ['root ceremony: a root given as the plan', CHANNELS.ceremonyLoad, { plan: file('plan.json', fx.rootV1), bindings: file('bindings.json', '{}') }],
    ];
    const raw: string[] = [];
    for (const [what, channel, payload] of rows) {
      const r = (await h[channel](payload)) as IpcResult<unknown>;
      expect(r.ok, what).toBe(false);
      if (r.ok) continue;
      raw.push(r.message);
      const shown = plainMessage(r.message, r.path);
      expect(hasCliOrPathText(shown), `${what}: ${shown}`).toBe(false);
      const sentence = explainCode(r.code);
      if (sentence) expect(hasCliOrPathText(sentence), `${what}: ${r.code}`).toBe(false);
    }
    // The raw messages (the CLI's) do carry paths: the rewriting above is what the screens rely on.
    expect(raw.some((m) => hasCliOrPathText(m))).toBe(true);
  });

  it('the PIN dialog’s "asked again" sentences name no flag or path, and never the PIN', () => {
    const token = { label: 'alice-1', serial: 'A0000001' } as Parameters<typeof pinRetryOf>[0];
    for (const tries of [undefined, 'count-low', 'final-try'] as const) {
      const err = new TokenError('PIN_INCORRECT', 'token "alice-1" (serial A0000001) did not accept the PIN', tries ? { pinTries: tries } : {});
      const retry = pinRetryOf(token, err, 1);
      expect(hasCliOrPathText(retry.message), retry.message).toBe(false);
      expect(retry.message).toMatch(/^The PIN was not accepted by token "alice-1" \(serial A0000001\)\. /);
    }
  });
});
