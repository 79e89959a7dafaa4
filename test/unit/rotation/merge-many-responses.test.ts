/**
 * A merge of more responses than one transcript entry holds (src/audit/schema.ts MAX_FILES, 32 files): the
 * merge's session transcript records every file read, in order, over several entries of one hash chain
 * (src/audit/session.ts SessionTranscript.append), and still verifies; the schema's cap for a transcript
 * read from disk is unchanged (a hostile entry of 33 files is refused).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { isCeremonyError } from '../../../src/errors.js';
import { MAX_FILES, readEntry } from '../../../src/audit/schema.js';
import { SessionTranscript } from '../../../src/audit/session.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import type { JsonValue } from '../../../src/json/types.js';
import { buildRotationPayload, buildSigningRequest, serializeSignatureResponse, serializeSigningRequest, signRequest } from '../../../src/rotation/index.js';
import { captureIo } from '../../support/cli-io.js';
import { expectVerifiesAndRefusesTampering } from '../../support/session-transcripts.js';
import { EXPIRES_V2, makeCustodian, rootFixture } from './support.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Entry {
  step: string;
  inputs: { name: string; sha256: string }[];
  outputs: { name: string; sha256: string }[];
  note?: string;
}

describe('merge of more response files than one transcript entry holds', () => {
  const CUSTODIANS = 44;
  let dir: string;
  let requestPath: string;
  let responsePaths: string[];

  beforeAll(async () => {
    dir = tmp('tufc-merge-many-');
    // 44 root keys (threshold 2): every one of them, and the key that replaces the first, answers.
    const fx = await rootFixture('tuf', Array.from({ length: CUSTODIANS }, (_, i) => `Custodian ${i + 1}`));
    const dave = await makeCustodian('tuf', 'Dave');
    const first = fx.custodians[0]!;
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: first.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: fx.names });
    const request = buildSigningRequest(payload, { repository: 'many-responses' });
    requestPath = join(dir, 'request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));
    responsePaths = [];
    for (const [i, c] of [...fx.custodians, dave].entries()) {
      const p = join(dir, `response-${String(i + 1).padStart(2, '0')}.json`);
      writeFileSync(p, serializeSignatureResponse(await signRequest(request, c.key)));
      responsePaths.push(p);
    }
  }, 120_000);

  it(`all ${CUSTODIANS + 1} responses merged: every file read is in the transcript, in order, and it verifies`, async () => {
    const out = join(dir, 'root.v2.json');
    const c = captureIo();
    expect(await runCli(['merge', requestPath, ...responsePaths, '--out', out, '--json'], c.io), c.err.join('\n')).toBe(0);
    const transcriptPath = `${out}.transcript.jsonl`;
    const bytes = readFileSync(transcriptPath);
    await expectVerifiesAndRefusesTampering(transcriptPath, bytes, dir, {});
    const entries = verifyTranscript(bytes, { allowUnsealed: true }).entries as unknown as Entry[];
    // The merge entry with the first 32 files, then the rest, 32 at a time, then the end.
    const files = [requestPath, ...responsePaths];
    expect(entries.map((e) => e.step)).toEqual(['merge', 'merge.inputs.more', 'session.end']);
    expect(entries[0]!.inputs).toHaveLength(MAX_FILES);
    expect(entries[0]!.note).toContain(`(${files.length} inputs: the first ${MAX_FILES} here, the rest in the merge.inputs.more entries that follow)`);
    expect(entries[1]!.note).toBe(`merge, continued: inputs ${MAX_FILES + 1}–${files.length} of ${files.length}`);
    const recorded = entries.flatMap((e) => e.inputs ?? []);
    expect(recorded).toEqual(files.map((p) => ({ name: basename(p), sha256: sha(readFileSync(p)) })));
    expect(entries[0]!.outputs).toEqual([{ name: 'root.v2.json', sha256: sha(readFileSync(out)) }]);
  }, 120_000);

  it('the session splits inputs and outputs alike, a note clipped to leave room for the count; an entry within the cap is written as before', async () => {
    const file = (i: number) => ({ name: `f${i}.json`, sha256: sha(new Uint8Array([i & 255, i >> 8])) });
    const cases: [string, number, number, string[]][] = [
      ['32 inputs: one entry', MAX_FILES, 1, ['x']],
      ['33 inputs', MAX_FILES + 1, 1, ['x', 'x.inputs.more']],
      ['100 inputs, 70 outputs', 100, 70, ['x', 'x.inputs.more', 'x.inputs.more', 'x.inputs.more', 'x.outputs.more', 'x.outputs.more']],
    ];
    for (const [what, nIn, nOut, steps] of cases) {
      const s = await SessionTranscript.start({ kind: 'merge', profile: 'tuf', repository: 'r', reviewed: new Uint8Array([1]), rehearsal: false });
      const inputs = Array.from({ length: nIn }, (_, i) => file(i));
      const outputs = Array.from({ length: nOut }, (_, i) => file(1000 + i));
      await s.append({ step: 'x', actor: { name: 'administrator', role: 'administrator' }, inputs, outputs, note: 'n'.repeat(600) });
      await s.end('done');
      const entries = verifyTranscript(s.bytes(), { allowUnsealed: true }).entries as unknown as Entry[];
      expect(entries.map((e) => e.step), what).toEqual([...steps, 'session.end']);
      expect(entries.flatMap((e) => e.inputs ?? []), what).toEqual(inputs);
      expect(entries.flatMap((e) => e.outputs ?? []), what).toEqual(outputs);
      for (const e of entries) expect(e.note!.length, what).toBeLessThanOrEqual(500);
      if (steps.length > 1) expect(entries[0]!.note, what).toMatch(/n… \(\d+ inputs: the first 32 here/);
    }
  });

  it('the cap on one entry read from disk is unchanged: more than 32 inputs or outputs is refused', () => {
    const file = (i: number): JsonValue => ({ name: `f${i}.json`, sha256: sha(new Uint8Array([i])) });
    const entry = (o: Record<string, JsonValue>): JsonValue => ({ type: 'entry', seq: 1, time: '2026-12-06T00:00:00.000Z', step: 'merge', actor: { name: 'administrator', role: 'administrator' }, prev: '0'.repeat(64), hash: '0'.repeat(64), digests: [], inputs: [], outputs: [], witnesses: [], ...o });
    const cases: [string, JsonValue, string | undefined][] = [
      ['32 inputs', entry({ inputs: Array.from({ length: 32 }, (_, i) => file(i)) }), undefined],
      ['33 inputs', entry({ inputs: Array.from({ length: 33 }, (_, i) => file(i)) }), 'SCHEMA_INVALID'],
      ['33 outputs', entry({ outputs: Array.from({ length: 33 }, (_, i) => file(i)) }), 'SCHEMA_INVALID'],
      ['1,000 inputs', entry({ inputs: Array.from({ length: 1000 }, (_, i) => file(i)) }), 'SCHEMA_INVALID'],
    ];
    for (const [what, value, code] of cases) {
      let got: string | undefined;
      try {
        readEntry(value, '$');
      } catch (err) {
        got = isCeremonyError(err) ? err.code : String(err);
      }
      expect(got, what).toBe(code);
    }
  });
});
