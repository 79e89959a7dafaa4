/**
 * The network side of `publish`, `server-keys` and `status --server` (issue #14): one HTTPS request at a
 * time through node:https, trusting the CA file the operator names or, without one, Node's bundled CA
 * list (plus NODE_EXTRA_CA_CERTS). Plain http is not spoken: credentials and the metadata a client pins
 * must not cross a network unprotected. Bodies are capped while they arrive, so a hostile server cannot
 * make us hold more than the caller allows.
 *
 * Failures become CeremonyErrors with the stable codes the CLI documents: SERVER_TLS_UNTRUSTED for a
 * certificate that does not verify (or names another host), SERVER_UNREACHABLE for connection failures
 * and timeouts, SERVER_RESPONSE_INVALID for bodies over the cap.
 *
 * Node 20's default agent keeps connections alive between requests. A server may close an idle kept-alive
 * connection just as we reuse it (RFC 9112 §9.3.1: a client may retry an idempotent request then); Node
 * reports that as ECONNRESET — or EPIPE, when the close is seen while the request head is still being
 * written — on a request whose `reusedSocket` is true, before any answer arrived. Only for exactly that,
 * and only for GET/HEAD, the request is sent once more on a fresh connection (its own agent, not kept
 * alive, so never another pooled connection the server may close too). A POST is never resent: the server
 * may have acted on it.
 *
 * A hostile or broken server (or whoever sits in front of it) must not hold a command forever nor make it
 * read more than its cap: `timeoutMs` is an idle timeout (no byte for that long), which a server that
 * drips one byte a second never meets, so every request (with its one retry) also has an overall
 * deadline that fits its work: `deadlineMs` plus the time its bytes take at a minimum average rate,
 * `minBytesPerSecond` (see DEFAULT_MIN_BYTES_PER_SECOND) — the body it sends, counted up front, and the
 * answer's bytes as they arrive. A slow but honest upload or download gets the time its size needs; a
 * drip, far below that rate, earns almost nothing and is cut off near `deadlineMs`; a Content-Length over the cap is refused at the headers, before a byte of the
 * body is waited for; headers over Node's limit, or a malformed answer, are refused as answers, not as
 * failures to connect. Redirects are not followed (node:https does not) and no Content-Encoding is asked
 * for or decoded: a 3xx is an unexpected status to the caller, a gzip body just bytes that do not parse.
 */
import { maxHeaderSize } from 'node:http';
import { request } from 'node:https';
import { CeremonyError } from '../errors.js';
import { AnswerLost, type HttpRequest, type HttpResponse, type HttpTransport } from '../publish/http.js';

export interface HttpsTransportOptions {
  /** PEM of the CA certificates to trust instead of the bundled list (`--ca-file`). */
  ca?: string;
  /** Idle timeout: no byte sent or received for this long (default 30 s). */
  timeoutMs?: number;
  /**
   * Overall deadline of one request, its retry included, from the first byte sent to the last received,
   * before the allowance for its bytes (`minBytesPerSecond`) is added.
   */
  deadlineMs?: number;
  /** The slowest average rate a request's bytes (sent and received) are given time for. */
  minBytesPerSecond?: number;
}

/**
 * The base of every request's deadline: the time a small request may take (connect, TLS, a token round,
 * a server that is slow to answer), whatever its size. A server that drips holds a cron `status` about
 * this long per request.
 */
export const DEFAULT_DEADLINE_MS = 5 * 60_000;

/**
 * 32 KB/s (256 kbit/s): the slowest site link we still expect a custodian to publish over — a shared or
 * throttled uplink, a satellite or mobile link — and about 1/7 of the ~220 KB/s a fixed 5 minutes would
 * demand of a 64 MB targets.json (src/tuf/caps.ts), the largest upload and answer. At this rate that file
 * is given 5 + 34 minutes: long, but a publish over such a link takes that long anyway. A drip of one byte
 * every 50 ms (20 B/s) is 1600 times slower and earns about 1/1600 of the time it spends, so it is still cut
 * off at about `deadlineMs`; what a server can hold us at most is bounded by what we send plus the
 * answer's cap (`maxBytes`), delivered at no less than this rate.
 */
export const DEFAULT_MIN_BYTES_PER_SECOND = 32 * 1024;

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
]);

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Methods safe to send twice (RFC 9110 §9.2.2); `HttpRequest` only has GET and POST today. */
const IDEMPOTENT = new Set(['GET', 'HEAD']);

/** How a kept-alive connection the server closed before answering shows on the request (see the file comment). */
const CLOSED_ON_REUSE = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Whether a failed request may be sent once more: an idempotent method, on a reused connection, closed
 * before any answer, and not already the retry (which runs on a fresh connection: at most one retry).
 */
export function mayRetryOnFreshConnection(f: { method: string; code: string; reusedSocket: boolean; answered: boolean; fresh: boolean }): boolean {
  return !f.fresh && !f.answered && f.reusedSocket && CLOSED_ON_REUSE.has(f.code) && IDEMPOTENT.has(f.method);
}

export function httpsTransport(opts: HttpsTransportOptions = {}): HttpTransport {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const minBytesPerSecond = opts.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
  if (!(minBytesPerSecond > 0)) throw new TypeError(`minBytesPerSecond must be a positive number, got ${minBytesPerSecond}`);
  return async (req: HttpRequest) => {
    const limits: Limits = { timeoutMs, deadlineMs, minBytesPerSecond, startedAt: Date.now(), sent: req.body?.length ?? 0, received: 0 };
    try {
      return await send(req, opts, limits, false);
    } catch (err) {
      if (err instanceof StaleConnection) return send(req, opts, limits, true);
      throw err;
    }
  };
}

interface Limits {
  timeoutMs: number;
  deadlineMs: number;
  minBytesPerSecond: number;
  /** Date.now() when the request (not its retry) began: one deadline covers both. */
  startedAt: number;
  /** The body's bytes, counted once (a POST is never resent). */
  sent: number;
  /** The answers' body bytes received so far, the retry's included. */
  received: number;
}

/**
 * Date.now() past which the request (and its retry) is abandoned: the base deadline plus the time its
 * bytes so far take at the minimum rate. It only grows, and only as fast as bytes come: a server earns
 * time by sending, never by announcing.
 */
export function deadlineOf(l: Pick<Limits, 'deadlineMs' | 'minBytesPerSecond' | 'startedAt' | 'sent' | 'received'>): number {
  return l.startedAt + l.deadlineMs + ((l.sent + l.received) * 1000) / l.minBytesPerSecond;
}

/** The deadline in words: "300 s, plus 1 s per 32768 bytes sent or received (2 s for these)". */
function deadlineWords(l: Limits): string {
  const extra = ((l.sent + l.received) * 1000) / l.minBytesPerSecond;
  return `${l.deadlineMs / 1000} s plus 1 s per ${l.minBytesPerSecond} bytes sent or received (${Math.round(extra) / 1000} s for these)`;
}

/** How Node's HTTP parser (llhttp) names an answer it cannot read: `HPE_HEADER_OVERFLOW`, `HPE_INVALID_CHUNK_SIZE`, … */
function parserRefusal(code: string, maxHeaderBytes: number): string | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return `the answer's headers are larger than ${maxHeaderBytes} bytes`;
  if (code.startsWith('HPE_')) return `the answer is not well-formed HTTP/1.1 (${code})`;
  return undefined;
}

/** The reused kept-alive connection was closed by the server before any answer: safe to send again. */
class StaleConnection extends Error {}

function send(req: HttpRequest, opts: HttpsTransportOptions, limits: Limits, fresh: boolean): Promise<HttpResponse> {
  const { timeoutMs } = limits;
  return new Promise<HttpResponse>((resolveOnce, rejectOnce) => {
    // The deadline settles the promise itself (whatever events destroying the request emits afterwards).
    const deadline: { timer?: NodeJS.Timeout } = {};
    const resolve = (res: HttpResponse) => {
      clearTimeout(deadline.timer);
      resolveOnce(res);
    };
    const reject = (err: unknown) => {
      clearTimeout(deadline.timer);
      rejectOnce(err);
    };
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new CeremonyError('USAGE', `${req.url} is not a URL`));
      return;
    }
    if (url.protocol !== 'https:') {
      reject(new CeremonyError('USAGE', `${url.origin} is not https: the server and its token realm must be reached over TLS`));
      return;
    }
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    if (req.body) headers['content-length'] = req.body.length;
    let answered = false;
    let status: number | undefined;
    // 'finish': the whole request was handed to the TLS connection (never before its handshake: measured
    // against a listener that never answers it). From then on a POST may have reached the server.
    let sent = false;
    // A failure after a POST went out whole, with no answer (or a 2xx whose body broke off): AnswerLost,
    // which publish settles by reading what the server serves. Anything else is plainly unreachable.
    const unreachable = (message: string, options: { path?: string; cause?: unknown }): CeremonyError =>
      req.method !== 'GET' && sent && (status === undefined || (status >= 200 && status < 300))
        ? new AnswerLost(message, { ...options, ...(status !== undefined ? { status } : {}) })
        : new CeremonyError('SERVER_UNREACHABLE', message, options);
    // agent: false = a one-off agent for this request, so the retry cannot pick another kept-alive socket.
    // rejectUnauthorized given, not left to Node's default: NODE_TLS_REJECT_UNAUTHORIZED=0 in the
    // environment (set for some other tool) would otherwise send credentials to any certificate.
    const tls = { ...(opts.ca ? { ca: opts.ca } : {}), rejectUnauthorized: true };
    const r = request(url, { method: req.method, headers, ...tls, timeout: timeoutMs, ...(fresh ? { agent: false } : {}) }, (res) => {
      answered = true;
      status = res.statusCode;
      const announced = Number(res.headers['content-length']);
      if (announced > req.maxBytes) {
        res.destroy();
        reject(new CeremonyError('SERVER_RESPONSE_INVALID', `${hostOf(req.url)}: ${req.method} ${url.pathname}: the answer announces ${announced} bytes, more than the ${req.maxBytes} allowed`, { path: url.pathname }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > req.maxBytes) {
          res.destroy();
          reject(new CeremonyError('SERVER_RESPONSE_INVALID', `${hostOf(req.url)}: ${req.method} ${url.pathname}: the answer is larger than ${req.maxBytes} bytes`, { path: url.pathname }));
          return;
        }
        chunks.push(chunk);
        limits.received += chunk.length;
      });
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: out, body: new Uint8Array(Buffer.concat(chunks)) });
      });
      res.on('error', (err) => reject(unreachable(`${hostOf(req.url)}: the connection broke while reading the answer`, { cause: err })));
    });
    r.on('timeout', () => r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    // When the timer fires, bytes received since it was set may have moved the deadline on: set it again
    // for what is left, so the check costs one timer per request, not one per chunk.
    const arm = () => {
      const left = deadlineOf(limits) - Date.now();
      if (left > 0) {
        deadline.timer = setTimeout(arm, left);
        return;
      }
      reject(
        unreachable(
          `${hostOf(req.url)}: no complete answer within ${(Date.now() - limits.startedAt) / 1000} s (${req.method} ${url.pathname}; the deadline is ${deadlineWords(limits)}): the server takes or sends too slowly or never finishes${req.method === 'GET' ? '' : `; the server may have received the whole ${req.method} and applied it: check what it serves before sending it again`}`,
          { path: url.pathname },
        ),
      );
      r.destroy();
    };
    arm();
    r.on('error', (err: Error & { code?: string }) => {
      const code = err.code ?? '';
      if (mayRetryOnFreshConnection({ method: req.method, code, reusedSocket: r.reusedSocket, answered, fresh })) {
        reject(new StaleConnection(err.message, { cause: err }));
        return;
      }
      const malformed = parserRefusal(code, maxHeaderSize);
      if (malformed) {
        reject(new CeremonyError('SERVER_RESPONSE_INVALID', `${hostOf(req.url)}: ${req.method} ${url.pathname}: ${malformed}`, { path: url.pathname, cause: err }));
        return;
      }
      if (TLS_CODES.has(code) || /certificate/i.test(err.message)) {
        reject(
          new CeremonyError('SERVER_TLS_UNTRUSTED', `${hostOf(req.url)}: the TLS certificate is not trusted (${code || 'verification failed'})${opts.ca ? ' by the CA file given' : ': pass the CA that issued it with --ca-file'}`, { cause: err }),
        );
        return;
      }
      reject(unreachable(`${hostOf(req.url)}: ${code === 'ETIMEDOUT' ? `no answer within ${timeoutMs / 1000} s` : sent ? `the connection broke before the answer (${code || 'network error'})` : `cannot connect (${code || 'network error'})`}`, { cause: err }));
    });
    r.on('finish', () => {
      sent = true;
    });
    r.end(req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.length) : undefined);
  });
}
