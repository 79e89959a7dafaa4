/**
 * `publish` against a notary-server on 127.0.0.1 (node:https, the real transport, a CA of the test's own)
 * that ACCEPTS the upload and then fails the fetch-back (review 14a M2): HTTP 500, no answer (a stall), or
 * 404 for everything. The server may now serve the new metadata, so the outcome is not a refusal: the code
 * is PUBLISH_UPLOADED_UNVERIFIED (a 404 is a finding, PUBLISH_FETCH_BACK_MISMATCH), and the session
 * transcript records the upload, written the moment the POST returned 2xx. Publishing again against a
 * server that now serves the new files uploads nothing and verifies them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { publishCommand, publishSessionsDir, type ServerDeps } from '../../../src/cli/publish.js';
import { captureIo } from '../../support/cli-io.js';
import { loopbackHttps } from '../../support/loopback-https.js';
import { writeTree } from '../../support/notary.js';
import { buildRepo, FAR, GUN, metaEntry, metaKey, sign, targetsSigned, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { testServerDeps } from '../../support/server-deps.js';

const tmp = tempDirs();
const enc = new TextEncoder();

/** What the server does with a GET once it has accepted the POST. */
type After = 'serve' | 'http-500' | 'stall' | 'not-found';

interface Loopback {
  url: string;
  /** Requests seen: `GET root.json`, `POST `. */
  seen: string[];
  /** The session transcripts beside the input when the first GET after the POST arrived. */
  sessionsAtFirstGetAfterPost?: string[];
}

const https = loopbackHttps();
let repo: BuiltRepo;

beforeAll(async () => {
  repo = await buildRepo('notary');
});

/** The repository as the server serves it once the upload is in: the input's files, its timestamp signed by the server's key. */
const published = (): Record<string, Uint8Array> => ({ 'root.json': repo.roots[0]!, 'targets.json': repo.targets, 'snapshot.json': repo.snapshot, 'timestamp.json': repo.timestamp, 'targets/releases.json': repo.delegated });

/** A notary-server for GUN: serves nothing before a POST (or `published()` when `servesFromStart`), accepts any POST with 201. */
async function startServer(after: After, opts: { servesFromStart?: boolean; input?: string } = {}): Promise<Loopback> {
  const lb: Loopback = { url: '', seen: [] };
  let accepted = Boolean(opts.servesFromStart);
  lb.url = await https.serve((req, res) => {
    const name = (req.url ?? '').replace(/^.*\/_trust\/tuf\//, '');
    lb.seen.push(`${req.method} ${name}`);
    req.resume();
    const answer = (status: number, body: Uint8Array | string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? enc.encode(body) : body);
    };
    if (req.method === 'POST') {
      accepted = true;
      req.on('end', () => answer(201, '{}'));
      return;
    }
    if (accepted && !opts.servesFromStart && lb.sessionsAtFirstGetAfterPost === undefined && opts.input) {
      const dir = publishSessionsDir(opts.input);
      lb.sessionsAtFirstGetAfterPost = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
    }
    const files = published();
    if (!accepted || after === 'not-found') return answer(404, '{"errors":[{"code":"METADATA_NOT_FOUND"}]}');
    if (after === 'http-500') return answer(500, '{"errors":[{"code":"UNKNOWN"}]}');
    if (after === 'stall') return; // never answers: the transport's idle timeout ends it
    return files[name] ? answer(200, files[name]) : answer(404, '{"errors":[{"code":"METADATA_NOT_FOUND"}]}');
  });
  return lb;
}

const deps = (): ServerDeps => testServerDeps({ ca: https.ca, timeoutMs: 400 });

/** The ceremony's files in a folder of their own (its sessions folder goes beside it). */
function inputFolder(): string {
  const dir = join(tmp('tufc-pubfault-'), 'metadata');
  writeTree(dir, new Map(Object.entries(published())));
  return dir;
}

const steps = (jsonl: string): string[] => jsonl.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string }).filter((e) => e.type === 'entry').map((e) => e.step!);
const endNote = (jsonl: string): string => (jsonl.trim().split('\n').map((l) => JSON.parse(l) as { step?: string; note?: string }).find((e) => e.step === 'session.end')?.note ?? '');

async function publishAgainst(lb: Loopback, input: string) {
  const c = captureIo();
  const result = await publishCommand(input, { server: lb.url, gun: GUN, json: true }, c.io, deps()).catch((e: unknown) => e);
  return { result, out: c.out, err: c.err };
}

function theTranscript(input: string): { path: string; text: string } {
  const dir = publishSessionsDir(input);
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  return { path: join(dir, files[0]!), text: readFileSync(join(dir, files[0]!), 'utf8') };
}

describe('publish: the server accepts the upload, then the fetch-back fails (review 14a M2)', () => {
  it.each([
    ['http-500', 'SERVER_RESPONSE_INVALID'],
    ['stall', 'SERVER_UNREACHABLE'],
  ] as const)('%s after the upload: PUBLISH_UPLOADED_UNVERIFIED (cause %s), the upload recorded at once and at the end, never "refused"', async (after, cause) => {
    const input = inputFolder();
    const lb = await startServer(after, { input });
    const { result } = await publishAgainst(lb, input);
    expect(result).toMatchObject({ code: 'PUBLISH_UPLOADED_UNVERIFIED', cause: { cause: { code: cause } } });
    const message = (result as Error).message;
    expect(message).toMatch(/^the server accepted the upload of root, targets, targets\/releases, snapshot \(one update\), but fetching it back failed: \[/);
    expect(message).toContain(`[${cause}]`);
    expect(message).toContain(`tuf-ceremony status --server ${lb.url} --gun ${GUN}`);
    expect(message).toMatch(/publish the same input again to verify it/);
    expect(message).toMatch(/the upload and what failed after it are recorded in \S+\.transcript\.jsonl\)$/);
    expect(lb.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);

    // Written before the first GET of the fetch-back was answered: the upload, not yet verified.
    expect(lb.sessionsAtFirstGetAfterPost).toHaveLength(1);
    expect(steps(lb.sessionsAtFirstGetAfterPost![0]!)).toEqual(['publish.plan', 'publish.upload', 'session.end']);
    expect(endNote(lb.sessionsAtFirstGetAfterPost![0]!)).toMatch(/^uploaded; not verified yet/);

    // Then replaced (the same file) by the whole session: the upload and what failed after it.
    const t = theTranscript(input);
    expect(steps(t.text)).toEqual(['publish.plan', 'publish.upload', 'publish.unverified', 'session.end']);
    expect(endNote(t.text)).toBe(`uploaded; not verified [${cause}]`);
    expect(t.text).not.toMatch(/publish\.refused|refused \[/);
    expect(() => verifyTranscript(readFileSync(t.path), { allowUnsealed: true })).not.toThrow();
  });

  it('404 for everything after the upload: PUBLISH_FETCH_BACK_MISMATCH, and the transcript still records the upload', async () => {
    const input = inputFolder();
    const lb = await startServer('not-found', { input });
    const { result } = await publishAgainst(lb, input);
    expect(result).toMatchObject({ code: 'PUBLISH_FETCH_BACK_MISMATCH', path: 'root.json' });
    const t = theTranscript(input);
    expect(steps(t.text)).toEqual(['publish.plan', 'publish.upload', 'publish.unverified', 'session.end']);
    expect(endNote(t.text)).toBe('uploaded; not verified [PUBLISH_FETCH_BACK_MISMATCH]');
  });

  it('publishing again once the server serves the new files uploads nothing and verifies them (no blind re-upload, no unverified success)', async () => {
    const input = inputFolder();
    const first = await startServer('http-500', { input });
    expect(await publishAgainst(first, input).then((r) => r.result)).toMatchObject({ code: 'PUBLISH_UPLOADED_UNVERIFIED' });
    // The server did store the upload: it now serves the new files.
    const again = await startServer('serve', { servesFromStart: true });
    const { result, out } = await publishAgainst(again, input);
    expect(result).toBe(0);
    expect(again.seen.filter((r) => r.startsWith('POST'))).toEqual([]);
    const json = JSON.parse(out.join('')) as { state: string; upload: string[]; served: { root: number; targets: number; snapshot: number; timestamp: number } | null };
    expect(json).toMatchObject({ state: 'already-published', upload: [], served: { root: 1, targets: 1, snapshot: 1, timestamp: 1 } });
  });

  it('publishing again when the accepted upload was in fact lost uploads it again (the server serves nothing)', async () => {
    const input = inputFolder();
    const first = await startServer('stall', { input });
    expect(await publishAgainst(first, input).then((r) => r.result)).toMatchObject({ code: 'PUBLISH_UPLOADED_UNVERIFIED' });
    const again = await startServer('serve');
    const { result, out } = await publishAgainst(again, input);
    expect(result).toBe(0);
    expect(again.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);
    const json = JSON.parse(out.join('')) as { state: string; transcript: string };
    expect(json).toMatchObject({ state: 'published' });
    // One file per run: the first run's (not verified), and this one's, written after the POST and then
    // replaced by the whole session.
    const dir = publishSessionsDir(input);
    expect(readdirSync(dir)).toHaveLength(2);
    const text = readFileSync(json.transcript, 'utf8');
    expect(steps(text)).toEqual(['publish.plan', 'publish.upload', 'publish.verify', 'session.end']);
    expect(endNote(text)).toBe('published');
  });
});

/** A notary-server on 127.0.0.1 serving `before` until a POST (answered 201), then `after`; `snapshot.key` answers `key`. */
async function startStates(before: Record<string, Uint8Array>, after: Record<string, Uint8Array>, key: Uint8Array): Promise<Loopback> {
  const lb: Loopback = { url: '', seen: [] };
  let accepted = false;
  lb.url = await https.serve((req, res) => {
    const name = (req.url ?? '').replace(/^.*\/_trust\/tuf\//, '');
    lb.seen.push(`${req.method} ${name}`);
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') accepted = true;
      const body = req.method === 'POST' ? enc.encode('{}') : name === 'snapshot.key' ? key : (accepted ? after : before)[name];
      res.writeHead(body ? (req.method === 'POST' ? 201 : 200) : 404, { 'content-type': 'application/json' });
      res.end(body ?? enc.encode('{"errors":[{"code":"METADATA_NOT_FOUND"}]}'));
    });
  });
  return lb;
}

describe('publish: the fetch-back checks every role the plan knows, not only the uploaded ones (review 14a M3)', () => {
  // The reviewer's case (review-14a-repro/rollback-after-upload.test.ts): root v2 is uploaded alone (the
  // server holds the snapshot key); before the upload the server served targets/releases v2 in snapshot
  // v2; after it, a hostile server signs a snapshot naming the older targets/releases v1, whose
  // signature is real.
  let r2: BuiltRepo;
  let delegatedV2: Uint8Array;
  const p = 'notary' as const;
  const state = async (rootBytes: Uint8Array, rootVersion: number, delegated: Uint8Array, sv: number): Promise<Record<string, Uint8Array>> => {
    const snapshot = await sign(p, { _type: 'Snapshot', version: sv, expires: FAR, meta: { [metaKey(p, 'targets')]: metaEntry(p, r2.targets, 1), [metaKey(p, r2.delegationName)]: metaEntry(p, delegated, 0), root: metaEntry(p, rootBytes, rootVersion) } }, r2.keys.snapshot);
    const timestamp = await sign(p, { _type: 'Timestamp', version: sv, expires: FAR, meta: { [metaKey(p, 'snapshot')]: metaEntry(p, snapshot, sv) } }, r2.keys.timestamp);
    return { 'root.json': rootBytes, '1.root.json': r2.roots[0]!, '2.root.json': r2.roots[1]!, 'targets.json': r2.targets, [`${r2.delegationName}.json`]: delegated, 'snapshot.json': snapshot, 'timestamp.json': timestamp };
  };
  beforeAll(async () => {
    r2 = await buildRepo('notary', { rootVersions: 2 });
    delegatedV2 = await sign(p, targetsSigned(p, 2, { 'releases/v1.tar.gz': enc.encode('release 1'), 'releases/v2.tar.gz': enc.encode('release 2') }), r2.keys.delegate);
  });
  const input = (): string => {
    const dir = join(tmp('tufc-rollback-'), 'metadata');
    writeTree(dir, new Map([['root.json', r2.roots[1]!], ['1.root.json', r2.roots[0]!], ['2.root.json', r2.roots[1]!], ['targets.json', r2.targets], [`${r2.delegationName}.json`, delegatedV2]]));
    return dir;
  };
  const key = (): Uint8Array => enc.encode(JSON.stringify(r2.keys.snapshot[0]!.json));
  const run = async (after: Record<string, Uint8Array>) => {
    const lb = await startStates(await state(r2.roots[0]!, 1, delegatedV2, 2), after, key());
    const c = captureIo();
    const result = await publishCommand(input(), { server: lb.url, gun: GUN, json: true }, c.io, deps()).catch((e: unknown) => e);
    return { result, out: c.out, lb };
  };

  it('a role not uploaded, served older after the upload under a snapshot the server signed: PUBLISH_FETCH_BACK_MISMATCH naming the role and both versions', async () => {
    const { result, lb } = await run(await state(r2.roots[1]!, 2, r2.delegated, 3));
    expect(lb.seen.filter((x) => x.startsWith('POST'))).toHaveLength(1);
    expect(result).toMatchObject({ code: 'PUBLISH_FETCH_BACK_MISMATCH', path: 'targets/releases.json $.signed.version' });
    expect((result as Error).message).toMatch(/^after the upload the server serves targets\/releases version 1, not version 2, which it served before the upload: a rollback/);
  });

  it('a snapshot older than the one served before the upload: PUBLISH_FETCH_BACK_MISMATCH (TUF 5.5.5)', async () => {
    const { result } = await run(await state(r2.roots[1]!, 2, delegatedV2, 1));
    expect(result).toMatchObject({ code: 'PUBLISH_FETCH_BACK_MISMATCH', path: 'snapshot.json $.signed.version' });
    expect((result as Error).message).toMatch(/serves snapshot version 1, older than the version 2 it served before the upload/);
  });

  it('control: every role as before (targets/releases v2) under the new snapshot v3: published, verified, delegated versions reported', async () => {
    const { result, out } = await run(await state(r2.roots[1]!, 2, delegatedV2, 3));
    expect(result).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ state: 'published', upload: ['root'], served: { root: 2, snapshot: 3, delegated: { 'targets/releases': 2 } } });
  });
});
