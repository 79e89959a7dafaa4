/**
 * HTTP as the core sees it: a transport function injected by the caller (src/io/https-transport.ts in
 * the CLI, anything in a unit test), so src/publish stays free of node:https.
 */
import { CeremonyError } from '../errors.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** The answer's body is refused beyond this many bytes. */
  maxBytes: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export type HttpTransport = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * A request that changes the server (a POST) whose whole body went out, but whose answer did not come
 * back — no status (a timeout, a broken connection), or a 2xx whose body broke off. The server may have
 * applied it: the caller must find out what the server serves before calling it refused (publish.ts
 * settleLostAnswer). Still SERVER_UNREACHABLE for everything that reads the code. A connection refused,
 * a name that does not resolve or a TLS failure is never one: nothing was delivered.
 */
export class AnswerLost extends CeremonyError {
  /** The status line when it came (a 2xx whose body broke off), else undefined. */
  readonly status: number | undefined;
  constructor(message: string, options: { path?: string; cause?: unknown; status?: number } = {}) {
    super('SERVER_UNREACHABLE', message, { ...(options.path !== undefined ? { path: options.path } : {}), ...(options.cause !== undefined ? { cause: options.cause } : {}) });
    this.name = 'AnswerLost';
    this.status = options.status;
  }
}
