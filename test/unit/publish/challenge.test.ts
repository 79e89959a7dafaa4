/**
 * The pieces of `publish` that take untrusted or operator input (issue #14): the registry's Bearer
 * challenge (src/publish/registry-auth.ts), the server URL and the GUN (src/publish/notary-server.ts) —
 * each refusal with its code — and the token flow against a transport that plays a registry: anonymous
 * reads first when allowed, credentials only when the realm asks, the password never in what is sent
 * anywhere but the realm.
 */
import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse } from '../../../src/publish/http.js';
import { checkGun, checkServerUrl, NotaryServerApi } from '../../../src/publish/notary-server.js';
import { publishSessionTranscript } from '../../../src/publish/publish-session.js';
import { AuthorizedClient, checkTokenRealm, parseBearerChallenge, type TokenAccess } from '../../../src/publish/registry-auth.js';
import { openServer, PUBLISH_NEED } from '../../../src/cli/publish.js';

/** docker.io/org/app on notary.example.com, whose token realm auth.example.com the operator allowed (--token-realm). */
const ACCESS: TokenAccess = { server: 'https://notary.example.com', repository: 'docker.io/org/app', actions: ['pull', 'push'], tokenRealms: ['https://auth.example.com'] };
import { refusal } from '../../support/refusal.js';
import { expectNoSecrets } from '../../support/session-transcripts.js';

describe('Bearer challenges', () => {
  it('parses realm, service and scope (quoted values may hold commas)', () => {
    expect(parseBearerChallenge('Bearer realm="https://auth.example.com/token",service="notary",scope="repository:docker.io/org/app:push,pull"')).toEqual({
      realm: 'https://auth.example.com/token',
      service: 'notary',
      scope: 'repository:docker.io/org/app:push,pull',
    });
  });

  it.each([
    [undefined, 'SERVER_AUTH_CHALLENGE_INVALID'],
    ['Basic realm="x"', 'SERVER_AUTH_CHALLENGE_INVALID'],
    ['Bearer service="notary"', 'SERVER_AUTH_CHALLENGE_INVALID'],
    ['Bearer realm="not a url"', 'SERVER_AUTH_CHALLENGE_INVALID'],
    ['Bearer realm="http://auth.example.com/token"', 'SERVER_AUTH_CHALLENGE_INVALID'],
  ])('refuses %j with %s', (header, code) => {
    expect(refusal(() => parseBearerChallenge(header)).code).toBe(code);
  });
});

describe('--token-realm', () => {
  it.each(['http://auth.example.com/token', 'https://ci:pw@auth.example.com/token', 'auth.example.com'])('refuses %j (USAGE)', (url) => {
    const err = refusal(() => checkTokenRealm(url));
    expect(err.code).toBe('USAGE');
    expect(err.message).not.toContain(':pw');
  });
  it('keeps the origin: credentials may go to any path on it', () => {
    expect(checkTokenRealm('https://Auth.Example.com:443/token?x=1')).toBe('https://auth.example.com');
  });
});

describe('server URLs and GUNs', () => {
  it.each([
    ['http://127.0.0.1:4443', 'USAGE'],
    ['https://user:pw@notary.example.com', 'USAGE'],
    ['https://notary.example.com/v2/', 'USAGE'],
    ['notary.example.com', 'USAGE'],
  ])('refuses --server %j', (url, code) => {
    expect(refusal(() => checkServerUrl(url)).code).toBe(code);
  });
  it('does not quote a --server that is not a URL when it could hold credentials', () => {
    const err = refusal(() => checkServerUrl('https://ci:Tr0ub4dor&3@notary example.com'));
    expect(err.code).toBe('USAGE');
    expect(err.message).not.toContain('Tr0ub4dor');
    expect(refusal(() => checkServerUrl('notary example')).message).toContain('"notary example"');
  });
  it('keeps the origin of a good URL', () => {
    expect(checkServerUrl('https://notary.example.com:4443/')).toBe('https://notary.example.com:4443');
  });
  it.each(['', '/org/app', 'docker.io/../app', 'docker.io/org app', 'docker.io//app', 'docker.io/org/app?x'])('refuses --gun %j', (gun) => {
    expect(refusal(() => checkGun(gun)).code).toBe('USAGE');
  });
  it('accepts registry GUNs', () => {
    expect(checkGun('registry.example.com:5000/org/app')).toBe('registry.example.com:5000/org/app');
  });
});

describe('the token flow', () => {
  const enc = new TextEncoder();
  const challenge = 'Bearer realm="https://auth.example.com/token",service="notary",scope="repository:docker.io/org/app:pull"';

  function registry(opts: { anonymousOk: boolean; password: string }) {
    const seen: HttpRequest[] = [];
    const transport = (req: HttpRequest): Promise<HttpResponse> => {
      seen.push(req);
      const res = (status: number, body = '', headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: enc.encode(body) });
      const url = new URL(req.url);
      if (url.host === 'auth.example.com') {
        const auth = req.headers?.authorization;
        if (!auth) return Promise.resolve(opts.anonymousOk ? res(200, '{"token":"anon"}') : res(401));
        return Promise.resolve(auth === `Basic ${Buffer.from(`ci:${opts.password}`).toString('base64')}` ? res(200, '{"access_token":"full"}') : res(401));
      }
      const bearer = req.headers?.authorization;
      if (bearer === 'Bearer full' || (bearer === 'Bearer anon' && req.method === 'GET')) return Promise.resolve(res(200, 'ok'));
      return Promise.resolve(res(401, '', { 'www-authenticate': challenge }));
    };
    return { transport, seen };
  }

  it('reads anonymously when allowed: no credentials asked', async () => {
    const r = registry({ anonymousOk: true, password: 'pw' });
    let asked = 0;
    const client = new AuthorizedClient({ access: ACCESS, transport: r.transport, anonymousFirst: true, credentials: () => ((asked += 1), Promise.resolve({ username: 'ci', password: enc.encode('pw') })) });
    expect((await client.send({ method: 'GET', url: 'https://notary.example.com/v2/docker.io/org/app/_trust/tuf/root.json', maxBytes: 100 })).status).toBe(200);
    expect(asked).toBe(0);
  });

  it('asks once for credentials, sends them only to the realm, and reuses the token', async () => {
    const r = registry({ anonymousOk: false, password: 'pw' });
    let asked = 0;
    const client = new AuthorizedClient({ access: ACCESS, transport: r.transport, credentials: () => ((asked += 1), Promise.resolve({ username: 'ci', password: enc.encode('pw') })) });
    for (let i = 0; i < 2; i++) expect((await client.send({ method: 'POST', url: 'https://notary.example.com/v2/docker.io/org/app/_trust/tuf/', maxBytes: 100 })).status).toBe(200);
    expect(asked).toBe(1);
    for (const req of r.seen) {
      if (new URL(req.url).host !== 'auth.example.com') expect(req.headers?.authorization ?? '').not.toMatch(/^Basic /);
    }
  });

  it('credentials given for one token realm are never sent to another realm the server names later', async () => {
    const r = registry({ anonymousOk: false, password: 'pw' });
    const elsewhere = 'Bearer realm="https://collect.example.net/token",service="notary"';
    let switched = false;
    const transport = (req: HttpRequest): Promise<HttpResponse> => {
      const url = new URL(req.url);
      // After the first answered request the server names another realm (another host) in its challenges.
      if (switched && url.host === 'notary.example.com') {
        r.seen.push(req);
        return Promise.resolve({ status: 401, headers: { 'www-authenticate': elsewhere }, body: new Uint8Array() });
      }
      if (url.host === 'collect.example.net') {
        r.seen.push(req);
        return Promise.resolve({ status: 200, headers: {}, body: enc.encode('{"token":"t"}') });
      }
      return r.transport(req);
    };
    const client = new AuthorizedClient({ access: ACCESS, transport, credentials: () => Promise.resolve({ username: 'ci', password: enc.encode('pw') }) });
    expect((await client.send({ method: 'POST', url: 'https://notary.example.com/v2/docker.io/org/app/_trust/tuf/', maxBytes: 100 })).status).toBe(200);
    switched = true;
    const err = await client.send({ method: 'POST', url: 'https://notary.example.com/v2/docker.io/org/app/_trust/tuf/', maxBytes: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVER_AUTH_CHALLENGE_INVALID' });
    expect((err as Error).message).toContain('collect.example.net');
    expect((err as Error).message).toContain('auth.example.com');
    expect(r.seen.filter((req) => new URL(req.url).host === 'collect.example.net')).toEqual([]);
  });

  const tokenAnswers: [what: string, status: number, body: string, code: string][] = [
    ['not JSON', 200, '<html>login</html>', 'SERVER_RESPONSE_INVALID'],
    ['no token field', 200, '{"expires_in":300}', 'SERVER_RESPONSE_INVALID'],
    ['a token that is a number', 200, '{"token":12345}', 'SERVER_RESPONSE_INVALID'],
    ['a token longer than 16384 characters', 200, JSON.stringify({ token: 'a'.repeat(16_385) }), 'SERVER_RESPONSE_INVALID'],
    ['a token carrying CR LF (a header of its own on the next request)', 200, JSON.stringify({ token: 'abc\r\nX-Injected: 1' }), 'SERVER_RESPONSE_INVALID'],
    ['a token with a space', 200, JSON.stringify({ token: 'abc def' }), 'SERVER_RESPONSE_INVALID'],
    ['a redirect from the realm (not followed)', 302, '', 'SERVER_RESPONSE_INVALID'],
  ];
  it.each(tokenAnswers)('a token realm answering %s → %s, and the server never sees it', async (_what, status, body, code) => {
    const seen: HttpRequest[] = [];
    const transport = (req: HttpRequest): Promise<HttpResponse> => {
      seen.push(req);
      if (new URL(req.url).host === 'auth.example.com') return Promise.resolve({ status, headers: (status === 302 ? { location: 'https://elsewhere.example.com/' } : {}) as Record<string, string>, body: enc.encode(body) });
      return Promise.resolve({ status: 401, headers: { 'www-authenticate': challenge }, body: new Uint8Array() });
    };
    const client = new AuthorizedClient({ access: ACCESS, transport, credentials: () => Promise.resolve({ username: 'ci', password: enc.encode('pw') }) });
    const err = await client.send({ method: 'POST', url: 'https://notary.example.com/v2/docker.io/org/app/_trust/tuf/', maxBytes: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect(seen.map((r) => new URL(r.url).host)).toEqual(['notary.example.com', 'auth.example.com']);
    expect(seen[1]!.maxBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('the credentials are asked for naming the host of the realm they go to', async () => {
    const r = registry({ anonymousOk: false, password: 'pw' });
    const questions: string[] = [];
    const { api, dispose } = await openServer({ server: 'https://notary.example.com', gun: 'docker.io/org/app', username: 'ci', tokenRealm: ['https://auth.example.com/token'] }, {
      transport: () => r.transport,
      env: {},
      interactive: true,
      promptSecret: (q) => (questions.push(q), Promise.resolve(enc.encode('pw'))),
    }, PUBLISH_NEED);
    try {
      await api.upload(new Map([['targets', enc.encode('{}')]]));
    } finally {
      dispose();
    }
    expect(questions).toEqual(['Password for ci at the token realm auth.example.com (asked for by notary.example.com): ']);
  });

  it('a wrong password is SERVER_AUTH_FAILED; no credentials at all is SERVER_CREDENTIALS_MISSING', async () => {
    const wrong = new AuthorizedClient({ access: ACCESS, transport: registry({ anonymousOk: false, password: 'pw' }).transport, credentials: () => Promise.resolve({ username: 'ci', password: enc.encode('nope') }) });
    await expect(wrong.send({ method: 'GET', url: 'https://notary.example.com/v2/x/_trust/tuf/root.json', maxBytes: 100 })).rejects.toMatchObject({ code: 'SERVER_AUTH_FAILED' });
    const none = new AuthorizedClient({ access: ACCESS, transport: registry({ anonymousOk: false, password: 'pw' }).transport });
    await expect(none.send({ method: 'GET', url: 'https://notary.example.com/v2/x/_trust/tuf/root.json', maxBytes: 100 })).rejects.toMatchObject({ code: 'SERVER_CREDENTIALS_MISSING' });
  });

  it("a server's error that echoes an Authorization value or a token is quoted without it; its other words stay", async () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtYWJj';
    const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `Basic Y2k6cHc= and Bearer ${jwt} refused`, detail: `token ${jwt}; Basic validation of targets/releases failed` }] });
    const api = new NotaryServerApi(
      new AuthorizedClient({ access: ACCESS, transport: (): Promise<HttpResponse> => Promise.resolve({ status: 500, headers: {}, body: enc.encode(body) }) }),
      'https://notary.example.com',
      'docker.io/org/app',
    );
    const err = await api.getMetadata('root.json').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID' });
    for (const secret of ['Y2k6cHc=', jwt, 'eyJzdWIiOiJjaSJ9']) expect(err!.message).not.toContain(secret);
    expect(err!.message).toContain('Basic validation of targets/releases failed');
  });

  it("a long server error is cut at 400 characters and '…', never through an emoji (no lone surrogate in the message)", async () => {
    // "UNKNOWN: " and x's up to 399 characters, then an emoji (two UTF-16 units) across the 400th.
    const message = `${'x'.repeat(399 - 'UNKNOWN: '.length)}😀 and more`;
    const api = new NotaryServerApi(
      new AuthorizedClient({ access: ACCESS, transport: (): Promise<HttpResponse> => Promise.resolve({ status: 500, headers: {}, body: enc.encode(JSON.stringify({ errors: [{ code: 'UNKNOWN', message }] })) }) }),
      'https://notary.example.com',
      'docker.io/org/app',
    );
    const err = (await api.getMetadata('root.json').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID' });
    expect(err.message).toMatch(/x…\)$/);
    expect(err.message).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('a wrong login whose user name is the password (typed at the wrong prompt) quotes it neither in the error nor in the session transcript', async () => {
    const typed = 'Tr0ub4dor&3-pass';
    const client = new AuthorizedClient({
      access: ACCESS,
      transport: registry({ anonymousOk: false, password: 'pw' }).transport,
      credentials: () => Promise.resolve({ username: typed, password: enc.encode('pw'), source: 'the environment variable REGISTRY_PASSWORD' }),
    });
    const err = await client.send({ method: 'POST', url: 'https://notary.example.com/v2/docker.io/org/app/_trust/tuf/', maxBytes: 100 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'SERVER_AUTH_FAILED' });
    const message = (err as Error).message;
    expect(message).toContain('refused the credentials given (from the environment variable REGISTRY_PASSWORD) (HTTP 401)');
    expect(message).not.toContain(typed);
    const transcript = await publishSessionTranscript(
      { host: 'notary.example.com', gun: 'docker.io/org/app', input: { name: 'out', sha256: '0'.repeat(64) }, pinnedRoot: { name: 'root.json', bytes: enc.encode('{}') }, now: () => new Date('2026-01-01T00:00:00Z') },
      { refused: err },
    );
    expect(new TextDecoder().decode(transcript)).toContain('refused [SERVER_AUTH_FAILED]');
    expectNoSecrets(transcript, [enc.encode(typed), enc.encode('Tr0ub4dor')]);
  });
});
