/**
 * A refusal names its path once (review 13a, cosmetic): commands that re-throw a refusal with words of
 * their own (the file, the repository) printed `… (at P) (at P)`, as the re-thrown error appends its path
 * again. Each case: `error[CODE]: message` on stderr ends with ` (at P)` exactly once, and `--json` keeps the
 * same message and the path as `error.path`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { buildBatchRequest, buildRotationPayload, buildSigningRequest, serializeBatchRequest, serializeBatchResponse, serializeSignatureResponse, serializeSigningRequest, signBatch, signRequest } from '../../../src/rotation/index.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { captureIo } from '../../support/cli-io.js';
import { refusal as thrown } from '../../support/refusal.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { EXPIRES_V2, makeCustodian, rootFixture } from '../rotation/support.js';

const tmp = tempDirs();

const REPOS = ['site/path-once-1', 'site/path-once-2'];

/** Runs `args` with --json, then without: the refusal's code, message and path, checked to name the path once. */
async function refusal(args: string[]): Promise<{ code: string; message: string; path: string }> {
  const j = captureIo();
  expect(await runCli([...args, '--json'], j.io)).toBe(1);
  const { error } = JSON.parse(j.out.join('\n')) as { error: { code: string; message: string; path?: string } };
  expect(error.path, error.message).toBeTruthy();
  const at = ` (at ${error.path})`;
  expect(error.message.endsWith(at), error.message).toBe(true);
  expect(error.message.split(at).length - 1, error.message).toBe(1);
  const t = captureIo();
  expect(await runCli(args, t.io)).toBe(1);
  expect(t.err[0]).toBe(`error[${error.code}]: ${error.message}`);
  return error as { code: string; message: string; path: string };
}

describe('merge refusals name their path once', () => {
  let dir: string;
  let batchPath: string;
  let batchResponses: Record<string, string>;
  let requestPath: string;
  let singleResponses: Record<string, string>;

  beforeAll(async () => {
    dir = tmp('tufc-path-once-');
    const [alice, bob, carol, dave] = await Promise.all(['Alice', 'Bob', 'Carol', 'Dave'].map((n) => makeCustodian('tuf', n)));
    const requests = [];
    for (const repo of REPOS) {
      const fx = await rootFixture('tuf', [alice!, bob!, carol!]);
      const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: alice!.listed.keyId, new: { json: dave!.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names });
      requests.push(buildSigningRequest(payload, { repository: repo }));
    }
    const batch = buildBatchRequest(requests);
    batchPath = join(dir, 'batch.json');
    writeFileSync(batchPath, serializeBatchRequest(batch));
    batchResponses = {};
    for (const c of [bob!, carol!, dave!]) {
      batchResponses[c.name] = join(dir, `${c.name}.batch.json`);
      writeFileSync(batchResponses[c.name]!, serializeBatchResponse((await signBatch(batch, c.key, { name: c.name })).response));
    }
    requestPath = join(dir, 'request.json');
    writeFileSync(requestPath, serializeSigningRequest(requests[0]!));
    singleResponses = {};
    for (const c of [bob!, dave!]) {
      singleResponses[c.name] = join(dir, `${c.name}.json`);
      writeFileSync(singleResponses[c.name]!, serializeSignatureResponse(await signRequest(requests[0]!, c.key)));
    }
  }, 120_000);

  it('a batch merge: the same co-signer twice (ROTATION_SIGNATURE_DUPLICATE, named by repository)', async () => {
    const err = await refusal(['merge', batchPath, batchResponses.Bob!, batchResponses.Bob!, batchResponses.Dave!, '--out', join(dir, 'never-1')]);
    expect(err.code).toBe('ROTATION_SIGNATURE_DUPLICATE');
    expect(err.message).toMatch(/^tuf repository "?site\/path-once-1"?: /);
    expect(err.path).toMatch(/^response 2 \(Bob\) \$\.signatures\[0\]$/);
  }, 60_000);

  it('a batch merge: one entry twice in a batch response file (SCHEMA_INVALID, named by file)', async () => {
    const doc = JSON.parse(readFileSync(batchResponses.Bob!, 'utf8')) as { responses: unknown[] };
    doc.responses = [doc.responses[0], doc.responses[0]];
    const twice = join(dir, 'twice.json');
    writeFileSync(twice, JSON.stringify(doc));
    const err = await refusal(['merge', batchPath, twice, batchResponses.Dave!, '--out', join(dir, 'never-2')]);
    expect(err.code).toBe('SCHEMA_INVALID');
    expect(err.message).toMatch(/^twice\.json: /);
    expect(err.path).toBe('$.responses[1].requestId');
  }, 60_000);

  it('a single merge: a response file refused at a path keeps that path (--json error.path), said once', async () => {
    const doc = JSON.parse(readFileSync(singleResponses.Bob!, 'utf8')) as Record<string, unknown>;
    const extra = join(dir, 'extra.json');
    writeFileSync(extra, JSON.stringify({ ...doc, extra: 1 }));
    const err = await refusal(['merge', requestPath, extra, singleResponses.Dave!, '--out', join(dir, 'never-3.json')]);
    expect(err.message).toMatch(/^extra\.json: /);
  }, 60_000);
});

describe('a path holding parentheses is said once too', () => {
  it('a targets.json entry named "app (1).tar": the parser\'s path, prefixed with the file, once', () => {
    // The re-throw stripped its inner path with / \(at [^)]*\)$/, which stops at the first ")" of the name.
    const doc = { signatures: [], signed: { _type: 'targets', spec_version: '1.0.0', version: 1, expires: '2030-01-01T00:00:00Z', targets: { 'app (1).tar': { length: -1, hashes: { sha256: '0'.repeat(64) } } } } };
    const err = thrown(() => parseMetadata(new TextEncoder().encode(JSON.stringify(doc)), 'targets', { maxBytes: 1 << 20, source: 'targets.json', profile: 'tuf' }));
    expect(err.path).toBe('targets.json $.signed.targets["app (1).tar"].length');
    expect(err.message).toBe(`expected an integer ≥ 0, found -1 (at ${err.path})`);
  });
});
