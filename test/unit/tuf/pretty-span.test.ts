/**
 * Issue #18: a pretty-printed file (python-tuf, tuf-on-ci, RSTUF: indent=1, sort_keys) has its signatures
 * checked over its own bytes with the whitespace dropped, when the parser proves `signed` canonical up to
 * whitespace. Any other difference from canonical JSON — escapes (python's default ensure_ascii writes
 * `\u00e9`), `\/`, key order — must take the slow path (re-encoding the parsed value) and verify exactly as
 * before; a file whose text means other bytes than were signed is refused as before; number forms canonical
 * JSON does not have are refused by the parser as before.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { sortedDeep } from '../../../bench/generate.js';
import { buildRepo, rootSigned, sign } from '../../support/repo.js';

afterEach(() => {
  vi.restoreAllMocks();
});

async function signedRoot(): Promise<{ compact: Uint8Array; pretty: string }> {
  const r = await buildRepo('tuf', { rootVersions: 1, rootThreshold: 2 });
  // An unknown field (kept and signed over) with non-ASCII text, a slash and a quote.
  const signed = { ...rootSigned('tuf', 1, r.keys, { root: 2 }), x_note: 'café / "q" \\ ü' } as JsonObject;
  const compact = await sign('tuf', signed, r.keys.root);
  const pretty = JSON.stringify(sortedDeep(JSON.parse(Buffer.from(compact).toString('utf8'))), null, 1);
  return { compact, pretty };
}

function verify(text: string): { canonicalCalls: number; version: number } {
  const spy = vi.spyOn(getProfile('tuf'), 'canonical');
  const bytes = new TextEncoder().encode(text);
  const repo = verifyRepository({ versionedRoots: new Map(), root: bytes, delegated: new Map() }, { trustedRoot: bytes, now: new Date() });
  const canonicalCalls = spy.mock.calls.length;
  spy.mockRestore();
  return { canonicalCalls, version: repo.root.signed.version };
}

function refusal(text: string): string {
  try {
    verify(text);
  } catch (err) {
    return (err as { code: string }).code;
  }
  throw new Error('expected a refusal');
}

describe('pretty-printed metadata: the file’s own bytes when canonical up to whitespace, else re-encoded', () => {
  it('canonical up to whitespace: verified over the file’s bytes, no re-encoding', async () => {
    const { pretty } = await signedRoot();
    expect(pretty).toContain('\n "signed": {');
    expect(verify(pretty)).toEqual({ canonicalCalls: 0, version: 1 });
  });

  const slow: [string, (t: string) => string][] = [
    ['non-ASCII written as \\u escapes (python ensure_ascii)', (t) => t.replace('é', '\\u00e9').replace('ü', '\\u00fc')],
    ['an escaped slash', (t) => t.replace(' / ', ' \\/ ')],
    ['a plain letter as a \\u escape', (t) => t.replace('café', '\\u0063afé')],
    ['keys out of canonical order (the x_note field first)', (t) => {
      const m = /,\n  "x_note": ("(?:[^"\\]|\\.)*")/.exec(t)!;
      return t.replace(m[0], '').replace(' "signed": {\n', ` "signed": {\n  "x_note": ${m[1]},\n`);
    }],
    ['keys out of order, pretty-printed differently (indent 4, CRLF, tabs)', (t) => JSON.stringify(JSON.parse(t), null, '\t').replace(/\n/g, '\r\n')],
  ];
  for (const [name, edit] of slow) {
    it(`${name}: re-encoded (the slow path), and verifies as before`, async () => {
      const { pretty } = await signedRoot();
      const text = edit(pretty);
      expect(text).not.toBe(pretty);
      expect(JSON.parse(text)).toEqual(JSON.parse(pretty));
      const out = verify(text);
      expect(out.version).toBe(1);
      if (!name.startsWith('keys out of order, pretty')) expect(out.canonicalCalls).toBeGreaterThan(0);
    });
  }

  const refused: [string, (t: string) => string, string][] = [
    ['a \\u escape that changes a character', (t) => t.replace('é', '\\u00e8'), 'THRESHOLD_NOT_MET'],
    ['a changed character with canonical whitespace around it', (t) => t.replace('ü', 'u'), 'THRESHOLD_NOT_MET'],
    ['whitespace inside a string (it is data, not layout)', (t) => t.replace('café', 'caf é'), 'THRESHOLD_NOT_MET'],
    ['a version written 1.0', (t) => t.replace('"version": 1', '"version": 1.0'), 'JSON_NUMBER_INVALID'],
    ['a version written 1e0', (t) => t.replace('"version": 1', '"version": 1e0'), 'JSON_NUMBER_INVALID'],
    ['a version written 01', (t) => t.replace('"version": 1', '"version": 01'), 'JSON_NUMBER_INVALID'],
    ['a key given twice', (t) => t.replace('"version": 1', '"version": 1,\n  "version": 1'), 'JSON_DUPLICATE_KEY'],
  ];
  for (const [name, edit, code] of refused) {
    it(`refuses ${name} → ${code}, as before`, async () => {
      const { pretty } = await signedRoot();
      const text = edit(pretty);
      expect(text).not.toBe(pretty);
      expect(refusal(text)).toBe(code);
    });
  }

  it('the compact file and the pretty one verify to the same root', async () => {
    const { compact, pretty } = await signedRoot();
    expect(verify(Buffer.from(compact).toString('utf8')).canonicalCalls).toBe(0);
    expect(verify(pretty).canonicalCalls).toBe(0);
  });
});
