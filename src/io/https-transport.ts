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
 */
import { request } from 'node:https';
import { CeremonyError } from '../errors.js';
import type { HttpRequest, HttpResponse, HttpTransport } from '../publish/http.js';

export interface HttpsTransportOptions {
  /** PEM of the CA certificates to trust instead of the bundled list (`--ca-file`). */
  ca?: string;
  timeoutMs?: number;
}

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
  return async (req: HttpRequest) => {
    try {
      return await send(req, opts, timeoutMs, false);
    } catch (err) {
      if (err instanceof StaleConnection) return send(req, opts, timeoutMs, true);
      throw err;
    }
  };
}

/** The reused kept-alive connection was closed by the server before any answer: safe to send again. */
class StaleConnection extends Error {}

function send(req: HttpRequest, opts: HttpsTransportOptions, timeoutMs: number, fresh: boolean): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
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
    // agent: false = a one-off agent for this request, so the retry cannot pick another kept-alive socket.
    const r = request(url, { method: req.method, headers, ...(opts.ca ? { ca: opts.ca } : {}), timeout: timeoutMs, ...(fresh ? { agent: false } : {}) }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > req.maxBytes) {
          res.destroy();
          reject(new CeremonyError('SERVER_RESPONSE_INVALID', `${req.method} ${url.pathname}: the answer is larger than ${req.maxBytes} bytes`, { path: url.pathname }));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: out, body: new Uint8Array(Buffer.concat(chunks)) });
      });
      res.on('error', (err) => reject(new CeremonyError('SERVER_UNREACHABLE', `${hostOf(req.url)}: the connection broke while reading the answer`, { cause: err })));
    });
    r.on('timeout', () => r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    r.on('error', (err: Error & { code?: string }) => {
      const code = err.code ?? '';
      if (mayRetryOnFreshConnection({ method: req.method, code, reusedSocket: r.reusedSocket, answered, fresh })) {
        reject(new StaleConnection(err.message, { cause: err }));
        return;
      }
      if (TLS_CODES.has(code) || /certificate/i.test(err.message)) {
        reject(
          new CeremonyError('SERVER_TLS_UNTRUSTED', `${hostOf(req.url)}: the TLS certificate is not trusted (${code || 'verification failed'})${opts.ca ? ' by the CA file given' : ': pass the CA that issued it with --ca-file'}`, { cause: err }),
        );
        return;
      }
      reject(new CeremonyError('SERVER_UNREACHABLE', `${hostOf(req.url)}: ${code === 'ETIMEDOUT' ? `no answer within ${timeoutMs / 1000} s` : `cannot connect (${code || 'network error'})`}`, { cause: err }));
    });
    r.end(req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.length) : undefined);
  });
}
