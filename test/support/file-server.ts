/**
 * A repository over HTTP for tuf-js's Updater: `files` (URL path → bytes, e.g. `/metadata/1.root.json`,
 * `/targets/app.tar.gz`) served on 127.0.0.1 at a free port, 404 for anything else. Every requested path
 * is recorded in order (what the client fetched, e.g. the root chain walk of TUF 5.3). The map is read at
 * each request, so a test may change what is published while the server runs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Served {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  base: string;
  requests: string[];
  files: Map<string, Uint8Array>;
  close(): Promise<void>;
}

export async function serveFiles(files: Map<string, Uint8Array>): Promise<Served> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, requests, files, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
