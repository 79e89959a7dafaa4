/**
 * HTTP as the core sees it: a transport function injected by the caller (src/io/https-transport.ts in
 * the CLI, anything in a unit test), so src/publish stays free of node:https.
 */
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
