/**
 * The registry token flow of `publish` and `status --server` against real HTTPS servers on 127.0.0.1 that
 * each test starts and stops (review 14a M1): the server's WWW-Authenticate challenge decides neither
 * where the registry password goes nor what its tokens allow. A challenge naming a token realm off the
 * server's origin, another repository, or more actions than the command needs is refused with
 * SERVER_AUTH_CHALLENGE_INVALID before any credential leaves (also with --dry-run, also when the password
 * would be prompted for); the normal flow (a realm on the server's own origin, or one the operator named
 * with --token-realm) still works.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publishCommand, type ServerDeps } from '../../../src/cli/publish.js';
import { runCli } from '../../../src/cli/program.js';
import { statusCommand } from '../../../src/cli/status.js';
import { httpsTransport } from '../../../src/io/https-transport.js';
import { makeTestCertificates, type TestCertificates } from '../../support/notary-tls.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const VECTOR = resolve(__dirname, '../../vectors/notary/repo');
/** The GUN the vector's root certificates name. */
const GUN = 'registry.example.com/tuf-ceremony/notary-interop';
const USER = 'alice';
/** A test password only, for servers on loopback; short enough that its Basic credential (27 characters and one =) is no token-like run. */
const PASSWORD = 'hunter2-Secret';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const TOKEN = 'tok-A1b2C3d4A1b2C3d4-loopback';
/** Before the vector's timestamp expires (2026-12-09). */
const NOW = new Date('2026-12-01T00:00:00Z');

interface Seen {
  server: 'notary' | 'foreign';
  method: string;
  path: string;
  authorization?: string;
  scope: string | null;
}

let certs: TestCertificates;
const servers: Server[] = [];
let seen: Seen[] = [];

beforeAll(() => {
  certs = makeTestCertificates();
});
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((done) => s.close(() => done()));
  }
  seen = [];
});

type Handler = (req: { method: string; url: URL; authorization?: string }) => { status: number; headers?: Record<string, string>; body?: string | Uint8Array };

/** An HTTPS server on 127.0.0.1 (a port of its own: its own origin); every request is recorded in `seen`. */
async function listen(name: Seen['server'], handler: Handler): Promise<string> {
  const server = createServer({ key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const authorization = req.headers.authorization;
    seen.push({ server: name, method: req.method ?? '', path: url.pathname, ...(authorization ? { authorization } : {}), scope: url.searchParams.get('scope') });
    req.resume();
    req.on('end', () => {
      const a = handler({ method: req.method ?? '', url, ...(authorization ? { authorization } : {}) });
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  return `https://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/**
 * notary-server with its token realm at `/token` on its own origin (the usual single-host set-up): the
 * vector's files to `Bearer TOKEN`, 401 with `challenge(origin)` otherwise; the realm gives TOKEN for the
 * right Basic credentials only.
 */
async function notary(challenge: (origin: string) => string): Promise<string> {
  let origin = '';
  origin = await listen('notary', ({ url, authorization }) => {
    if (url.pathname === '/token') return authorization === BASIC ? { status: 200, body: JSON.stringify({ token: TOKEN }) } : { status: 401 };
    if (authorization !== `Bearer ${TOKEN}`) return { status: 401, headers: { 'www-authenticate': challenge(origin) } };
    const prefix = `/v2/${GUN}/_trust/tuf/`;
    if (!url.pathname.startsWith(prefix)) return { status: 404 };
    try {
      return { status: 200, body: readFileSync(join(VECTOR, url.pathname.slice(prefix.length))) };
    } catch {
      return { status: 404, body: '{"errors":[{"code":"METADATA_NOT_FOUND"}]}' };
    }
  });
  return origin;
}

/** A token realm on another origin that gives a token to anyone (one the notary server does not take). */
const foreignRealm = (): Promise<string> => listen('foreign', () => ({ status: 200, body: JSON.stringify({ token: 'tok-foreign-Z9y8X7w6' }) }));

function deps(opts: { prompt?: boolean } = {}): ServerDeps & { prompted: string[] } {
  const prompted: string[] = [];
  return {
    prompted,
    transport: (c) => httpsTransport(c ? { ca: c } : {}),
    env: { TUF_CEREMONY_REGISTRY_USER: USER, ...(opts.prompt ? {} : { TUF_CEREMONY_REGISTRY_PASSWORD: PASSWORD }) },
    interactive: Boolean(opts.prompt),
    promptSecret: (q) => (prompted.push(q), Promise.resolve(new TextEncoder().encode(PASSWORD))),
  };
}

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
};

/** A copy of the vector (publish records a refusal beside its input: never in test/vectors). */
function input(): string {
  const dir = join(tmp('tufc-auth-'), 'repo');
  cpSync(VECTOR, dir, { recursive: true });
  return dir;
}

type Command = 'publish' | 'publish --dry-run' | 'status --server';

async function run(command: Command, server: string, extra: { tokenRealm?: string[]; prompt?: boolean } = {}) {
  const c = io();
  const d = deps(extra);
  const common = { server, gun: GUN, caFile: certs.caFile, json: true, ...(extra.tokenRealm ? { tokenRealm: extra.tokenRealm } : {}) };
  const result =
    command === 'status --server'
      ? statusCommand(undefined, { ...common, now: NOW.toISOString() }, c.io, d)
      : publishCommand(input(), { ...common, now: NOW, ...(command === 'publish --dry-run' ? { dryRun: true } : {}) }, c.io, d);
  const outcome = await result.then(
    (code) => ({ code, err: undefined }),
    (e: unknown) => ({ code: undefined, err: e as Error & { code?: string } }),
  );
  return { ...outcome, out: c.out.join('\n'), stderr: c.err.join('\n'), prompted: d.prompted };
}

/** Where the password went: every request that carried it (Basic), by server and path. */
const basicSentTo = () => seen.filter((s) => s.authorization?.startsWith('Basic ')).map((s) => `${s.server} ${s.path}`);

describe('a hostile WWW-Authenticate challenge is refused before any credential or token request', () => {
  const own = (scope: string) => (origin: string) => `Bearer realm="${origin}/token",service="notary",scope="${scope}"`;
  const rows: [what: string, command: Command, challenge: (origin: string) => string, named: string][] = [
    ['another repository (publish)', 'publish', own('repository:victim/repo1:pull,push'), 'repository:victim/repo1:pull,push'],
    ['another repository (dry run)', 'publish --dry-run', own('repository:a/b:pull,push'), 'repository:a/b:pull,push'],
    ['another repository (status)', 'status --server', own('repository:a/b:pull'), 'repository:a/b:pull'],
    ['the GUN with delete', 'publish --dry-run', own(`repository:${GUN}:push,delete`), 'delete'],
    ['the GUN with *', 'publish', own(`repository:${GUN}:*`), '*'],
    ['the GUN with push, for a read', 'status --server', own(`repository:${GUN}:pull,push`), 'push'],
    ['a GUN that only starts like ours', 'publish --dry-run', own(`repository:${GUN}x:pull`), `${GUN}x`],
    ['another resource type', 'publish --dry-run', own('registry:catalog:*'), 'registry'],
    ['ours and another repository in one scope', 'publish --dry-run', own(`repository:${GUN}:pull repository:victim/repo3:push`), 'victim/repo3'],
    ['no actions', 'status --server', own(`repository:${GUN}:`), `repository:${GUN}:`],
  ];
  it.each(rows)('a scope naming %s (%s) → SERVER_AUTH_CHALLENGE_INVALID naming it; nothing asked of the realm', async (_what, command, challenge, named) => {
    const server = await notary(challenge);
    const r = await run(command, server);
    expect(r.err?.code).toBe('SERVER_AUTH_CHALLENGE_INVALID');
    expect(r.err!.message).toContain(named);
    expect(r.err!.message).toContain(new URL(server).host);
    expect(seen.filter((s) => s.path === '/token')).toEqual([]);
    expect(basicSentTo()).toEqual([]);
  });

  it.each(['publish', 'publish --dry-run'] as const)('a token realm on another origin (%s, password from the environment) → refused, the realm never sees the password', async (command) => {
    const realm = await foreignRealm();
    const server = await notary(() => `Bearer realm="${realm}/token",service="x",scope="repository:${GUN}:pull"`);
    const r = await run(command, server);
    expect(r.err?.code).toBe('SERVER_AUTH_CHALLENGE_INVALID');
    expect(r.err!.message).toContain(`--token-realm ${realm}`);
    expect(basicSentTo()).toEqual([]);
    expect(seen.filter((s) => s.server === 'foreign')).toEqual([]);
    expect(r.err!.message).not.toContain(PASSWORD);
  });

  it('a token realm on another origin with the password to be prompted for: refused before the prompt', async () => {
    const realm = await foreignRealm();
    const server = await notary(() => `Bearer realm="${realm}/token",service="x",scope="repository:${GUN}:pull"`);
    const r = await run('publish --dry-run', server, { prompt: true });
    expect(r.err?.code).toBe('SERVER_AUTH_CHALLENGE_INVALID');
    expect(r.prompted).toEqual([]);
    expect(basicSentTo()).toEqual([]);
  });

  it('the same host on another port is another origin: refused', async () => {
    const realm = await foreignRealm();
    const server = await notary(() => `Bearer realm="${realm}/token",scope="repository:${GUN}:pull"`);
    expect(new URL(realm).hostname).toBe(new URL(server).hostname);
    expect((await run('publish', server)).err?.code).toBe('SERVER_AUTH_CHALLENGE_INVALID');
    expect(basicSentTo()).toEqual([]);
  });

  it('status --server: an anonymous token from a foreign realm is fine (no credentials), the credentials are not', async () => {
    const realm = await foreignRealm();
    // The notary server does not take the foreign realm's token: status falls back to credentials, refused.
    const server = await notary(() => `Bearer realm="${realm}/token",scope="repository:${GUN}:pull"`);
    const r = await run('status --server', server);
    expect(r.err?.code).toBe('SERVER_AUTH_CHALLENGE_INVALID');
    expect(seen.filter((s) => s.server === 'foreign').map((s) => [s.authorization ?? null, s.scope])).toEqual([[null, `repository:${GUN}:pull`]]);
    expect(basicSentTo()).toEqual([]);
  });
});

describe('the normal token flow still works', () => {
  it('publish --dry-run, realm on the server’s own origin: the password goes there only, for the GUN and pull, and the dry run reads everything', async () => {
    const server = await notary((origin) => `Bearer realm="${origin}/token",service="notary",scope="repository:${GUN}:pull"`);
    const r = await run('publish --dry-run', server);
    expect(r.err).toBeUndefined();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, state: 'already-published', gun: GUN });
    expect([...new Set(basicSentTo())]).toEqual(['notary /token']);
    expect(seen.filter((s) => s.path === '/token').map((s) => s.scope)).toEqual([`repository:${GUN}:pull`]);
    // A password from the environment: stderr says where it went (the prompt would have named the realm).
    const host = new URL(server).host;
    expect(r.stderr).toBe(`note: the registry credentials (password from TUF_CEREMONY_REGISTRY_PASSWORD) go to the token realm ${host}, named by ${host}`);
  });

  it('a realm on another origin named with --token-realm (a full URL: its origin counts) gets the credentials', async () => {
    let realm = '';
    realm = await listen('foreign', ({ authorization }) => (authorization === BASIC ? { status: 200, body: JSON.stringify({ token: TOKEN }) } : { status: 401 }));
    const server = await notary(() => `Bearer realm="${realm}/token",service="notary",scope="repository:${GUN}:pull"`);
    const r = await run('publish --dry-run', server, { tokenRealm: [`${realm}/token`] });
    expect(r.err).toBeUndefined();
    expect(r.code).toBe(0);
    expect([...new Set(basicSentTo())]).toEqual(['foreign /token']);
  });

  it('the CLI takes --token-realm, repeatable (publish --dry-run through runCli)', async () => {
    let realm = '';
    realm = await listen('foreign', ({ authorization }) => (authorization === BASIC ? { status: 200, body: JSON.stringify({ token: TOKEN }) } : { status: 401 }));
    const server = await notary(() => `Bearer realm="${realm}/token",service="notary",scope="repository:${GUN}:pull"`);
    const env = 'TUFC_LOOPBACK_TEST_PASSWORD';
    process.env[env] = PASSWORD;
    try {
      const c = io();
      const base = ['publish', input(), '--server', server, '--gun', GUN, '--ca-file', certs.caFile, '--username', USER, '--password-env', env, '--dry-run', '--json'];
      // Not the exit code: publish has no --now, and the vector's timestamp expires on 2026-12-09.
      await runCli([...base, '--token-realm', 'https://other.example.com', '--token-realm', `${realm}/token`], c.io);
      expect(c.out.join('\n')).not.toContain('SERVER_AUTH_CHALLENGE_INVALID');
      expect([...new Set(basicSentTo())]).toEqual(['foreign /token']);
      expect(seen.some((s) => s.server === 'notary' && s.path.endsWith('/timestamp.json') && s.authorization === `Bearer ${TOKEN}`)).toBe(true);
      seen = [];
      const without = io();
      expect(await runCli(base, without.io)).not.toBe(0);
      expect(without.out.join('\n')).toContain('SERVER_AUTH_CHALLENGE_INVALID');
      expect(basicSentTo()).toEqual([]);
    } finally {
      delete process.env[env];
    }
  });

  it('status --server reads with a pull token from the server’s own realm', async () => {
    const server = await notary((origin) => `Bearer realm="${origin}/token",service="notary",scope="repository:${GUN}:pull"`);
    const r = await run('status --server', server);
    expect(r.err).toBeUndefined();
    expect(JSON.parse(r.out)).toMatchObject({ repository: GUN });
    expect(seen.filter((s) => s.path === '/token').every((s) => s.scope === `repository:${GUN}:pull`)).toBe(true);
  });
});

describe("the server's error text quoting the credentials it was sent (review 14a L1)", () => {
  it('the Basic credential echoed bare (padded, unpadded) is cut from the refusal, with the password and the token', async () => {
    const b64 = BASIC.slice('Basic '.length);
    let origin = '';
    origin = await listen('notary', ({ url, authorization }) => {
      if (url.pathname === '/token') return authorization === BASIC ? { status: 200, body: JSON.stringify({ token: TOKEN }) } : { status: 401 };
      if (authorization !== `Bearer ${TOKEN}`) return { status: 401, headers: { 'www-authenticate': `Bearer realm="${origin}/token",scope="repository:${GUN}:pull"` } };
      const message = `saw ${b64} and ${b64.replace(/=+$/, '')} and ${PASSWORD} and ${TOKEN}`;
      return { status: 500, body: JSON.stringify({ errors: [{ code: 'UNKNOWN', message }] }) };
    });
    const r = await run('publish --dry-run', origin);
    expect(r.err?.code).toBe('SERVER_RESPONSE_INVALID');
    expect(r.err!.message).toContain('UNKNOWN: saw … and … and … and …');
    for (const secret of [b64, b64.replace(/=+$/, ''), PASSWORD, TOKEN]) expect(r.err!.message).not.toContain(secret);
  });
});

describe('a refusal for an unexpected status names the host and the request (review 14a L5)', () => {
  /** A server answering every request with `answer` (no auth). */
  const answering = (answer: ReturnType<Handler>) => listen('notary', () => answer);
  it.each([
    ['HTTP 500 with an error body', { status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"boom"}]}' }, 'GET root.json: HTTP 500 (UNKNOWN: boom)'],
    ['a redirect: its origin only, never its path or query', { status: 302, headers: { location: 'https://collect.example.net:8443/steal?token=Zz9SecretInQuery#x' } }, 'GET root.json: HTTP 302 (a redirect to https://collect.example.net:8443, not followed)'],
    ['a redirect to a file: URL', { status: 301, headers: { location: 'file:///etc/passwd' } }, 'GET root.json: HTTP 301 (a redirect to a file: URL, not followed)'],
    ['a redirect without a Location', { status: 307 }, 'GET root.json: HTTP 307 (a redirect without a Location, not followed)'],
  ] as const)('%s', async (_what, answer, expected) => {
    const server = await answering(answer);
    const r = await run('publish --dry-run', server);
    expect(r.err?.code).toBe('SERVER_RESPONSE_INVALID');
    expect(r.err!.message).toBe(`${new URL(server).host}: ${expected}`);
  });

  it('HTTP 403 after a token: SERVER_AUTH_FAILED naming the host', async () => {
    const server = await answering({ status: 403 });
    const r = await run('status --server', server);
    expect(r.err?.code).toBe('SERVER_AUTH_FAILED');
    expect(r.err!.message).toBe(`${new URL(server).host}: GET root.json: HTTP 403: the token does not allow this on ${GUN}`);
  });
});
