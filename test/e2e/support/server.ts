/**
 * Test-only loopback server for the end-to-end tests: serves the built renderer (dist/renderer) as
 * static files, and answers the test bridge's calls (`POST /__bridge/<channel>`) with the SAME IPC
 * handler functions the Electron main process registers (electron/main/ipc-handlers.ts). Binds to
 * 127.0.0.1 on a free port. Never part of a packaged build (it lives under test/).
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, normalize, resolve, sep } from 'node:path';
import type { IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS, type ChannelName } from '../../../electron/shared/channels.js';
import { decodeWire, encodeWire } from './codec.js';

export type IpcHandlers = Record<ChannelName, (payload: unknown) => Promise<IpcResult<unknown>>>;

export const BRIDGE_PREFIX = '/__bridge/';
/** Largest request body the bridge accepts: the IPC schema's total cap, base64-inflated, plus room. */
const MAX_BODY = Math.ceil((2 * 64 * 1024 * 1024 * 4) / 3) + 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface BridgeCall {
  channel: string;
  ok: boolean;
  code?: string;
}

export interface BridgeServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Every bridge call answered, in order (for assertions and debugging). */
  calls: BridgeCall[];
  close(): Promise<void>;
}

export interface BridgeServerOptions {
  /** Directory to serve (dist/renderer). */
  root: string;
  handlers: IpcHandlers;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_BODY) throw new Error(`bridge request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const KNOWN_CHANNELS = new Set<string>(Object.values(CHANNELS));

async function answerBridge(channel: string, req: IncomingMessage, handlers: IpcHandlers): Promise<IpcResult<unknown>> {
  if (!KNOWN_CHANNELS.has(channel)) return { ok: false, code: 'IPC_INVALID', message: `unknown channel ${channel}` };
  const body = decodeWire(await readBody(req));
  // The envelope is { payload? }: an absent payload is `undefined`, as ipcRenderer.invoke(channel) sends.
  const payload = typeof body === 'object' && body !== null && 'payload' in body ? (body as { payload: unknown }).payload : undefined;
  const handler = handlers[channel as ChannelName];
  const result = await handler(payload);
  // The bridge says so: appInfo from here reports testBridge: true (api-types.ts AppInfo).
  if (channel === CHANNELS.appInfo && result.ok) return { ok: true, value: { ...(result.value as object), testBridge: true } };
  return result;
}

async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<void> {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return send(res, 400, 'text/plain', 'bad path');
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  const full = resolve(root, `.${normalize(rel)}`);
  if (full !== root && !full.startsWith(root + sep)) return send(res, 403, 'text/plain', 'outside the served directory');
  try {
    if (!(await stat(full)).isFile()) return send(res, 404, 'text/plain', 'not found');
    send(res, 200, TYPES[extname(full)] ?? 'application/octet-stream', await readFile(full));
  } catch {
    send(res, 404, 'text/plain', 'not found');
  }
}

export async function startBridgeServer(opts: BridgeServerOptions): Promise<BridgeServer> {
  const root = resolve(opts.root);
  const calls: BridgeCall[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith(BRIDGE_PREFIX)) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
      const channel = decodeURIComponent(url.pathname.slice(BRIDGE_PREFIX.length));
      answerBridge(channel, req, opts.handlers)
        .catch((err: unknown): IpcResult<unknown> => ({ ok: false, code: 'INTERNAL', message: `bridge: ${err instanceof Error ? err.message : String(err)}` }))
        .then((result) => {
          calls.push(result.ok ? { channel, ok: true } : { channel, ok: false, code: result.code });
          send(res, 200, 'application/json; charset=utf-8', encodeWire(result));
        });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only');
    void serveStatic(root, url.pathname, res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((ok, fail) => {
        server.closeAllConnections();
        server.close((err) => (err ? fail(err) : ok()));
      }),
  };
}

