/**
 * The HTTPS transport against a real node:https server on 127.0.0.1 that closes a kept-alive connection
 * when it is reused — what notary-server did once in CI (closing5.md). GET/HEAD are sent once more on a
 * fresh connection; a POST never is; a connection that was not reused is not retried.
 */
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deadlineOf, httpsTransport, mayRetryOnFreshConnection } from '../../../src/io/https-transport.js';
import { makeTestCertificates, type TestCertificates } from '../../support/notary-tls.js';

/** When the server answers a request by closing its connection instead. */
type Closing = 'second-on-socket' | 'every-second-or-later' | 'every' | 'any-reuse';

interface TestServer {
  url: string;
  /** One entry per request the server saw: the connection it came on (1-based) and its method. */
  seen: { connection: number; method: string }[];
}

let certs: TestCertificates;
let ca: string;
const servers: Server[] = [];

beforeAll(() => {
  certs = makeTestCertificates();
  ca = readFileSync(certs.caFile, 'utf8');
});
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function startServer(closing: Closing): Promise<TestServer> {
  const seen: TestServer['seen'] = [];
  const perSocket = new WeakMap<Socket, { connection: number; requests: number }>();
  let connections = 0;
  const server = createServer({ key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), keepAliveTimeout: 60_000 }, (req, res) => {
    const socket = req.socket;
    let info = perSocket.get(socket);
    if (!info) {
      info = { connection: ++connections, requests: 0 };
      perSocket.set(socket, info);
    }
    info.requests++;
    seen.push({ connection: info.connection, method: req.method ?? '' });
    const close =
      closing === 'every' ||
      (closing === 'second-on-socket' && info.requests === 2) ||
      (closing === 'any-reuse' && info.requests >= 2) ||
      (closing === 'every-second-or-later' && seen.length >= 2);
    req.resume();
    if (close) {
      // As a server whose idle timer fired: the connection goes, no answer is written.
      socket.destroy();
      return;
    }
    req.on('end', () => res.end(`answer ${seen.length}`));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
  };
}

/** Lets the agent put the first connection back into its pool before the next request. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('httpsTransport over a kept-alive connection the server closes on reuse', () => {
  it('a GET is sent once more on a fresh connection and succeeds', async () => {
    const srv = await startServer('second-on-socket');
    const t = httpsTransport({ ca });
    const first = await t({ method: 'GET', url: `${srv.url}/v2/a/_trust/tuf/root.json`, maxBytes: 1000 });
    expect(new TextDecoder().decode(first.body)).toBe('answer 1');
    await tick();
    const second = await t({ method: 'GET', url: `${srv.url}/v2/a/_trust/tuf/timestamp.json`, maxBytes: 1000 });
    expect(second.status).toBe(200);
    expect(new TextDecoder().decode(second.body)).toBe('answer 3');
    // The second request reused connection 1 (closed there); the retry came on a new connection.
    expect(srv.seen).toEqual([
      { connection: 1, method: 'GET' },
      { connection: 1, method: 'GET' },
      { connection: 2, method: 'GET' },
    ]);
  });

  const refusals: { name: string; closing: Closing; first: 'GET' | 'POST'; second: 'GET' | 'POST'; code: string; seen: { connection: number; method: string }[] }[] = [
    {
      name: 'a POST on the reused connection is not sent again',
      closing: 'second-on-socket',
      first: 'GET',
      second: 'POST',
      code: 'SERVER_UNREACHABLE',
      seen: [
        { connection: 1, method: 'GET' },
        { connection: 1, method: 'POST' },
      ],
    },
    {
      name: 'a GET whose retry, on its fresh connection, is closed too is refused (that connection was not a reused one)',
      closing: 'every-second-or-later',
      first: 'GET',
      second: 'GET',
      code: 'SERVER_UNREACHABLE',
      seen: [
        { connection: 1, method: 'GET' },
        { connection: 1, method: 'GET' },
        { connection: 2, method: 'GET' },
      ],
    },
  ];
  it.each(refusals)('$name → $code', async ({ closing, first, second, code, seen }) => {
    const srv = await startServer(closing);
    const t = httpsTransport({ ca });
    await t({ method: first, url: `${srv.url}/one`, maxBytes: 1000, ...(first === 'POST' ? { body: new Uint8Array([1]) } : {}) });
    await tick();
    await expect(t({ method: second, url: `${srv.url}/two`, maxBytes: 1000, ...(second === 'POST' ? { body: new Uint8Array([1]) } : {}) })).rejects.toMatchObject({ code });
    expect(srv.seen).toEqual(seen);
  });

  it('the retry runs on a new connection, never on another pooled one the server closes too: exactly one retry, and it succeeds', async () => {
    // Two kept-alive connections in the pool (two GETs at once), a server that closes every reused one. A
    // retry sent through the pool would take the other idle connection, be closed again and — being the
    // retry — fail; sent on its own fresh connection (agent: false) it is that connection's first request.
    const srv = await startServer('any-reuse');
    const t = httpsTransport({ ca });
    await Promise.all([t({ method: 'GET', url: `${srv.url}/a`, maxBytes: 1000 }), t({ method: 'GET', url: `${srv.url}/b`, maxBytes: 1000 })]);
    expect(new Set(srv.seen.map((x) => x.connection))).toEqual(new Set([1, 2]));
    await tick();
    const again = await t({ method: 'GET', url: `${srv.url}/c`, maxBytes: 1000 });
    expect(again.status).toBe(200);
    expect(srv.seen.slice(2).map((x) => x.connection)).toEqual([expect.any(Number), 3]);
    expect([1, 2]).toContain(srv.seen[2]!.connection);
    expect(srv.seen).toHaveLength(4);
  });

  it('which failures are sent once more (table): a GET/HEAD closed on a reused connection before any answer, once', () => {
    const ok = { method: 'GET', code: 'ECONNRESET', reusedSocket: true, answered: false, fresh: false };
    const rows: [what: string, over: Partial<typeof ok>, retried: boolean][] = [
      ['reset on reuse', {}, true],
      ['EPIPE while writing the head on reuse (RFC 9112 §9.3.1)', { code: 'EPIPE' }, true],
      ['HEAD', { method: 'HEAD' }, true],
      ['POST: the server may have acted on it', { method: 'POST' }, false],
      ['a new connection, not a reused one', { reusedSocket: false }, false],
      ['an answer had begun', { answered: true }, false],
      ['already the retry', { fresh: true }, false],
      ['a timeout', { code: 'ETIMEDOUT' }, false],
      ['connection refused', { code: 'ECONNREFUSED' }, false],
      ['a TLS refusal', { code: 'CERT_HAS_EXPIRED' }, false],
    ];
    for (const [what, over, retried] of rows) expect(mayRetryOnFreshConnection({ ...ok, ...over }), what).toBe(retried);
  });

  it('a connection closed on its first request (not a reused one) is not retried', async () => {
    const srv = await startServer('every');
    const t = httpsTransport({ ca });
    await expect(t({ method: 'GET', url: `${srv.url}/one`, maxBytes: 1000 })).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect(srv.seen).toEqual([{ connection: 1, method: 'GET' }]);
  });
});

/**
 * A hostile or broken server on 127.0.0.1 (what a MITM or a compromised notary-server can send): every
 * answer must end — refused or returned — within the caps and the overall deadline, whatever the server
 * does, and nothing is followed elsewhere (no redirect, no decoding).
 */
describe('httpsTransport against a hostile server', () => {
  type Handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
  const timers: NodeJS.Timeout[] = [];
  afterEach(() => {
    for (const t of timers.splice(0)) clearInterval(t);
  });

  async function startHostile(handler: Handler): Promise<{ url: string; seen: string[] }> {
    const seen: string[] = [];
    const server = createServer({ key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert) }, (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['accept-encoding'] ?? '-'} ${req.headers.authorization ?? '-'}`);
      handler(req, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return { url: `https://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
  }

  /** Writes `write()` every 50 ms until the test ends. */
  const drip = (write: () => void) => timers.push(setInterval(write, 50));

  const refusals: { name: string; handler: Handler; code: string; message: RegExp; withinMs: number }[] = [
    {
      name: 'a body dripped one byte at a time, never ending (each byte well within the idle timeout)',
      handler: (_req, res) => {
        res.writeHead(200);
        drip(() => res.write('x'));
      },
      code: 'SERVER_UNREACHABLE',
      message: /no complete answer within 1(\.\d+)? s .*the deadline is 1 s plus 1 s per 32768 bytes/,
      withinMs: 2500,
    },
    {
      name: 'a status line and headers dripped one byte at a time',
      handler: (req) => {
        req.socket.write('HTTP/1.1 200 OK\r\n');
        drip(() => req.socket.write('X'));
      },
      code: 'SERVER_UNREACHABLE',
      message: /no complete answer within 1(\.\d+)? s .*the deadline is 1 s plus 1 s per 32768 bytes/,
      withinMs: 2500,
    },
    {
      name: 'a Content-Length over the cap, then silence: refused at the headers, not after the idle timeout',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-length': 10_000_000 });
        res.write('{');
      },
      code: 'SERVER_RESPONSE_INVALID',
      message: /announces 10000000 bytes, more than the 1000 allowed/,
      withinMs: 900,
    },
    {
      name: 'an endless body without Content-Length',
      handler: (_req, res) => {
        res.writeHead(200);
        drip(() => res.write(Buffer.alloc(600, 0x41)));
      },
      code: 'SERVER_RESPONSE_INVALID',
      message: /larger than 1000 bytes/,
      withinMs: 900,
    },
    {
      name: 'headers larger than the client takes',
      handler: (_req, res) => {
        res.writeHead(200, { 'x-filler': 'a'.repeat(100_000) });
        res.end('{}');
      },
      code: 'SERVER_RESPONSE_INVALID',
      message: /headers are larger than/,
      withinMs: 900,
    },
  ];
  it.each(refusals)('$name → $code', async ({ handler, code, message, withinMs }) => {
    const srv = await startHostile(handler);
    const t = httpsTransport({ ca, timeoutMs: 5_000, deadlineMs: 1_000 });
    const started = Date.now();
    const err = await t({ method: 'GET', url: `${srv.url}/v2/a/_trust/tuf/root.json`, maxBytes: 1000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(withinMs);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
  }, 8_000);

  /**
   * The deadline fits the work: a base plus the time the bytes take at a minimum rate. Scaled down — a
   * 300 ms base and 100 000 B/s instead of 5 minutes and 32 KB/s — so 100 KB is given 1.3 s in all: a
   * server at ~200 000 B/s (twice the minimum) needs ~0.5 s, more than the base alone; one at ~10 000 B/s
   * (a tenth of it) would need 10 s and is cut off at about 1.3 s.
   */
  describe('the deadline grows with the bytes sent and received at the minimum rate', () => {
    const scaled = { timeoutMs: 5_000, deadlineMs: 300, minBytesPerSecond: 100_000 };
    const body = new Uint8Array(100_000).fill(0x42);

    /** Reads the upload at about `rate` bytes a second (pausing after each chunk for its share), then answers. */
    const readsAt =
      (rate: number, got: { bytes: number }): Handler =>
      (req, res) => {
        req.on('data', (chunk: Buffer) => {
          got.bytes += chunk.length;
          req.pause();
          timers.push(setTimeout(() => req.resume(), (chunk.length / rate) * 1000));
        });
        req.on('end', () => res.end(`got ${got.bytes}`));
      };
    /** Sends 100 000 bytes in pieces of `piece` every 50 ms. */
    const sendsAt =
      (piece: number): Handler =>
      (_req, res) => {
        res.writeHead(200, { 'content-length': 100_000 });
        let left = 100_000;
        const t = setInterval(() => {
          const n = Math.min(piece, left);
          left -= n;
          if (left > 0) res.write(Buffer.alloc(n, 0x41));
          else {
            clearInterval(t);
            res.end(Buffer.alloc(n, 0x41));
          }
        }, 50);
        timers.push(t);
      };

    it('an upload the server takes slowly, above the minimum rate, is answered (past the base deadline)', async () => {
      const got = { bytes: 0 };
      const srv = await startHostile(readsAt(200_000, got));
      const started = Date.now();
      const res = await httpsTransport({ ca, ...scaled })({ method: 'POST', url: `${srv.url}/v2/a/_trust/tuf/`, body, maxBytes: 1000 });
      expect(new TextDecoder().decode(res.body)).toBe('got 100000');
      // It did need more than the base: a fixed deadline of 300 ms would have cut it off.
      expect(Date.now() - started).toBeGreaterThan(scaled.deadlineMs);
    }, 8_000);

    it('an upload the server takes below the minimum rate is cut off at the deadline its bytes earn', async () => {
      const got = { bytes: 0 };
      const srv = await startHostile(readsAt(10_000, got));
      const started = Date.now();
      const err = await httpsTransport({ ca, ...scaled })({ method: 'POST', url: `${srv.url}/v2/a/_trust/tuf/`, body, maxBytes: 1000 }).catch((e: unknown) => e);
      const took = Date.now() - started;
      expect(err).toMatchObject({ code: 'SERVER_UNREACHABLE', path: '/v2/a/_trust/tuf/' });
      expect((err as Error).message).toMatch(/no complete answer within 1(\.\d+)? s \(POST \/v2\/a\/_trust\/tuf\/; the deadline is 0\.3 s plus 1 s per 100000 bytes sent or received \(1 s for these\)\)/);
      // A POST cut off may still have been applied (the server had what it read): said, so nobody re-sends blindly.
      expect((err as Error).message).toContain('the server may have received the whole POST and applied it');
      expect(took).toBeGreaterThanOrEqual(1_290);
      expect(took).toBeLessThan(3_000);
      expect(got.bytes).toBeLessThan(body.length);
    }, 8_000);

    it('an answer sent slowly, above the minimum rate, is read whole (past the base deadline)', async () => {
      const srv = await startHostile(sendsAt(10_000));
      const started = Date.now();
      const res = await httpsTransport({ ca, ...scaled })({ method: 'GET', url: `${srv.url}/x`, maxBytes: 200_000 });
      expect(res.body.length).toBe(100_000);
      expect(Date.now() - started).toBeGreaterThan(scaled.deadlineMs);
    }, 8_000);

    it('an answer sent below the minimum rate is cut off: what arrived earns only its own time', async () => {
      const srv = await startHostile(sendsAt(500));
      const started = Date.now();
      const err = await httpsTransport({ ca, ...scaled })({ method: 'GET', url: `${srv.url}/x`, maxBytes: 200_000 }).catch((e: unknown) => e);
      const took = Date.now() - started;
      expect(err).toMatchObject({ code: 'SERVER_UNREACHABLE' });
      expect((err as Error).message).not.toContain('may have received');
      // 10 000 B/s for 0.3 s earns 0.03 s, and so on: about 0.33 s, far from the 1.3 s its announced 100 000 bytes would.
      expect(took).toBeLessThan(1_000);
      expect(took).toBeGreaterThanOrEqual(300);
    }, 8_000);

    it('deadlineOf: the base, plus sent and received bytes at the rate (table)', () => {
      const base = { deadlineMs: 300_000, minBytesPerSecond: 32 * 1024, startedAt: 1_000 };
      const rows: [what: string, sent: number, received: number, endsAt: number][] = [
        ['nothing yet', 0, 0, 301_000],
        ['a 64 MB upload: 2048 s more', 64 * 1024 * 1024, 0, 301_000 + 2_048_000],
        ['a 64 MB answer received', 0, 64 * 1024 * 1024, 301_000 + 2_048_000],
        ['a minute of a 20 B/s drip: 1200 bytes earn 36.6 ms', 0, 1200, 301_000 + 36.62109375],
      ];
      for (const [what, sent, received, endsAt] of rows) expect(deadlineOf({ ...base, sent, received }), what).toBe(endsAt);
    });
  });

  it('a redirect is returned as it is, never followed (to another host, to file:, with the Authorization header)', async () => {
    const other = await startHostile((_req, res) => res.end('{}'));
    for (const location of [`${other.url}/v2/a/_trust/tuf/root.json`, 'file:///etc/passwd', 'http://127.0.0.1:1/']) {
      const srv = await startHostile((_req, res) => {
        res.writeHead(302, { location });
        res.end();
      });
      const res = await httpsTransport({ ca })({ method: 'GET', url: `${srv.url}/v2/a/_trust/tuf/root.json`, headers: { authorization: 'Bearer t0kenT0KENt0ken' }, maxBytes: 1000 });
      expect(res.status, location).toBe(302);
      expect(srv.seen).toHaveLength(1);
    }
    expect(other.seen).toEqual([]);
  });

  it('asks for no Content-Encoding and does not decode one it gets: a gzip body comes back as its bytes', async () => {
    const { gzipSync } = await import('node:zlib');
    const packed = gzipSync(Buffer.alloc(100_000));
    const srv = await startHostile((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(packed);
    });
    const res = await httpsTransport({ ca })({ method: 'GET', url: `${srv.url}/x`, maxBytes: 1000 });
    expect(Buffer.from(res.body).equals(packed)).toBe(true);
    expect(srv.seen).toEqual(['GET /x - -']);
  });
});

describe('httpsTransport and NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', () => {
  it('still refuses a certificate the CA given does not vouch for (the variable turns off Node’s default only)', async () => {
    const srv = await startServer('every-second-or-later');
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const other = readFileSync(certs.otherCaFile, 'utf8');
      await expect(httpsTransport({ ca: other })({ method: 'GET', url: `${srv.url}/x`, maxBytes: 1000 })).rejects.toMatchObject({ code: 'SERVER_TLS_UNTRUSTED' });
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
    expect(srv.seen).toEqual([]);
  });
});
