/**
 * `publish` when the POST went out whole and its answer was lost (a stall past the transport's timeout,
 * or the connection dropped after the body was read), against a notary-server on 127.0.0.1 (node:https,
 * the real transport, the test's own CA). The server may or may not have applied the update, so publish
 * reads it back (src/publish/publish.ts settleLostAnswer): the upload served and verified is "published"
 * (answerLost); anything else is PUBLISH_OUTCOME_UNKNOWN — the earlier state unchanged too, since the
 * server may still commit (review 15f M1) — never "refused", never "published". The transport's side (AnswerLost only
 * after the whole request went out) is tested at the end.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { publishCommand, publishSessionsDir, type ServerDeps } from '../../../src/cli/publish.js';
import { httpsTransport } from '../../../src/io/https-transport.js';
import { AnswerLost } from '../../../src/publish/http.js';
import { captureIo } from '../../support/cli-io.js';
import { loopbackHttps } from '../../support/loopback-https.js';
import { writeTree } from '../../support/notary.js';
import { buildRepo, GUN, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { testServerDeps } from '../../support/server-deps.js';

const tmp = tempDirs();
const enc = new TextEncoder();
const https = loopbackHttps();
let repo: BuiltRepo;

beforeAll(async () => {
  repo = await buildRepo('notary');
});

const published = (): Record<string, Uint8Array> => ({ 'root.json': repo.roots[0]!, 'targets.json': repo.targets, 'snapshot.json': repo.snapshot, 'timestamp.json': repo.timestamp, 'targets/releases.json': repo.delegated });

/**
 * What the server does with the POST (it always reads the whole body first): applies it or not, then
 * never answers (`stall`) or drops the connection (`drop`); `then500` answers every later GET with 500.
 */
interface Post {
  applies: boolean;
  answer: 'stall' | 'drop';
  then500?: boolean;
}

async function startServer(post: Post): Promise<{ url: string; seen: string[]; commit(): void }> {
  const seen: string[] = [];
  let applied = false;
  let posted = false;
  const url = await https.serve((req, res) => {
    const name = (req.url ?? '').replace(/^.*\/_trust\/tuf\//, '');
    seen.push(`${req.method} ${name}`);
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') {
        posted = true;
        applied = post.applies;
        if (post.answer === 'drop') req.socket.destroy();
        return; // 'stall': no answer; the transport's idle timeout ends it
      }
      const answer = (status: number, body: Uint8Array) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (posted && post.then500) return answer(500, enc.encode('{"errors":[{"code":"UNKNOWN"}]}'));
      const files = applied ? published() : {};
      return files[name] ? answer(200, files[name]) : answer(404, enc.encode('{"errors":[{"code":"METADATA_NOT_FOUND"}]}'));
    });
  });
  return {
    url,
    seen,
    commit: () => {
      applied = true;
    },
  };
}

const deps = (): ServerDeps => testServerDeps({ ca: https.ca, timeoutMs: 400 });

function inputFolder(): string {
  const dir = join(tmp('tufc-lost-'), 'metadata');
  writeTree(dir, new Map(Object.entries(published())));
  return dir;
}

async function publishAgainst(url: string, input: string) {
  const c = captureIo();
  const result = await publishCommand(input, { server: url, gun: GUN, json: true }, c.io, deps()).catch((e: unknown) => e);
  return { result, out: c.out.join('') };
}

function theTranscript(input: string): { path: string; text: string; steps: string[]; end: string } {
  const dir = publishSessionsDir(input);
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  const path = join(dir, files[0]!);
  const text = readFileSync(path, 'utf8');
  const entries = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string; note?: string });
  expect(() => verifyTranscript(readFileSync(path), { allowUnsealed: true })).not.toThrow();
  return { path, text, steps: entries.filter((e) => e.type === 'entry').map((e) => e.step!), end: entries.find((e) => e.step === 'session.end')?.note ?? '' };
}

describe('publish: the POST went out whole, its answer was lost', () => {
  it.each(['stall', 'drop'] as const)('the server applied it (%s): read back and verified, "published", one POST, recorded as published', async (answer) => {
    const input = inputFolder();
    const server = await startServer({ applies: true, answer });
    const { result, out } = await publishAgainst(server.url, input);
    expect(result).toBe(0);
    expect(server.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);
    expect(JSON.parse(out)).toMatchObject({ state: 'published', answerLost: true, served: { root: 1, targets: 1, snapshot: 1, timestamp: 1 } });
    const t = theTranscript(input);
    expect(t.steps).toEqual(['publish.plan', 'publish.upload', 'publish.verify', 'session.end']);
    expect(t.text).toContain("the server's answer to the upload was lost; fetched back and verified");
    expect(t.end).toBe('published');
  });

  it.each(['stall', 'drop'] as const)('the server had not applied it when read back (%s): PUBLISH_OUTCOME_UNKNOWN, never "refused" — it may still commit (review 15f M1)', async (answer) => {
    const input = inputFolder();
    const server = await startServer({ applies: false, answer });
    const { result } = await publishAgainst(server.url, input);
    expect(result).toMatchObject({ code: 'PUBLISH_OUTCOME_UNKNOWN', cause: { cause: { code: 'SERVER_UNREACHABLE' } } });
    const message = (result as Error).message;
    expect(message).toContain('Read back afterwards, the server serves exactly what it served before the upload: it had not applied the update when read, but one still working on it may apply it later.');
    expect(message).toMatch(/the upload sent and its unknown outcome are recorded in \S+\.transcript\.jsonl\)$/);
    expect(server.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);
    const t = theTranscript(input);
    expect(t.steps).toEqual(['publish.plan', 'publish.upload', 'publish.unknown', 'session.end']);
    expect(t.end).toBe('sent; outcome unknown [PUBLISH_OUTCOME_UNKNOWN]');
  });

  it('a server that commits after the read-back: the first run says unknown, the next finds it published and uploads nothing', async () => {
    const input = inputFolder();
    // Not applied at the read-back; commit() then applies it, as a server still working on it would.
    const server = await startServer({ applies: false, answer: 'stall' });
    expect((await publishAgainst(server.url, input)).result).toMatchObject({ code: 'PUBLISH_OUTCOME_UNKNOWN' });
    server.commit();
    const { result, out } = await publishAgainst(server.url, input);
    expect(result).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ state: 'already-published', upload: [] });
    expect(server.seen.filter((r) => r.startsWith('POST'))).toHaveLength(1);
  });

  it('the server cannot be read back afterwards: PUBLISH_OUTCOME_UNKNOWN (exit 4), the files sent recorded, never "refused"', async () => {
    const input = inputFolder();
    const server = await startServer({ applies: true, answer: 'stall', then500: true });
    const { result } = await publishAgainst(server.url, input);
    expect(result).toMatchObject({ code: 'PUBLISH_OUTCOME_UNKNOWN', cause: { cause: { code: 'SERVER_UNREACHABLE' } } });
    const message = (result as Error).message;
    expect(message).toMatch(/^the upload of root, targets, targets\/releases, snapshot \(one update\) went out whole, but its answer was lost: \[SERVER_UNREACHABLE\]/);
    expect(message).toContain('[SERVER_RESPONSE_INVALID]');
    expect(message).toContain(`tuf-ceremony status --server ${server.url} --gun ${GUN}`);
    expect(message).toMatch(/the upload sent and its unknown outcome are recorded in \S+\.transcript\.jsonl\)$/);
    const t = theTranscript(input);
    expect(t.steps).toEqual(['publish.plan', 'publish.upload', 'publish.unknown', 'session.end']);
    expect(t.text).toContain('sent (the answer was lost) in one update');
    expect(t.end).toBe('sent; outcome unknown [PUBLISH_OUTCOME_UNKNOWN]');
    expect(t.text).not.toMatch(/publish\.refused|refused \[/);
  });
});

describe('httpsTransport: AnswerLost only once the whole request went out', () => {
  const post = (url: string) => httpsTransport({ ca: https.ca, timeoutMs: 300 })({ method: 'POST', url: `${url}/v2/x/_trust/tuf/`, body: enc.encode('{}'), maxBytes: 1024 });

  it('a POST read whole, never answered: AnswerLost (SERVER_UNREACHABLE); a GET the same way: not', async () => {
    const url = await https.serve((req) => req.resume());
    const lost = await post(url).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(AnswerLost);
    expect(lost).toMatchObject({ code: 'SERVER_UNREACHABLE' });
    const get = await httpsTransport({ ca: https.ca, timeoutMs: 300 })({ method: 'GET', url: `${url}/x`, maxBytes: 1024 }).catch((e: unknown) => e);
    expect(get).toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect(get).not.toBeInstanceOf(AnswerLost);
  });

  it('a POST answered with an error status: an answer, not AnswerLost', async () => {
    const url = await https.serve((req, res) => req.resume().on('end', () => res.writeHead(500).end('{}')));
    await expect(post(url)).resolves.toMatchObject({ status: 500 });
  });

  it('a POST whose TLS handshake never completes, or whose port refuses: never AnswerLost (nothing was delivered)', async () => {
    const silent = createServer((s) => s.resume());
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const e = await post(`https://127.0.0.1:${port}`).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'SERVER_UNREACHABLE' });
      expect(e).not.toBeInstanceOf(AnswerLost);
    } finally {
      await new Promise<void>((r) => silent.close(() => r()));
    }
    const refused = await post(`https://127.0.0.1:${port}`).catch((x: unknown) => x);
    expect(refused).toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect(refused).not.toBeInstanceOf(AnswerLost);
  });
});
