/**
 * HTTPS servers on 127.0.0.1 for one test file, behind the test CA (notary-tls.ts): the certificates made
 * before the file's tests and removed after them, each server closed after the test that started it.
 * Call at the top level of a test file (it registers the file's hooks).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { makeTestCertificates, type TestCertificates } from './notary-tls.js';

export interface LoopbackHttps {
  /** The test CA's PEM, for httpsTransport({ ca }) (set once the file's tests start). */
  readonly ca: string;
  /** Start a server answering with `handler`; its `https://127.0.0.1:PORT`. */
  serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string>;
}

export function loopbackHttps(): LoopbackHttps {
  let certs: TestCertificates | undefined;
  let ca = '';
  const servers: Server[] = [];
  beforeAll(() => {
    certs = makeTestCertificates();
    ca = readFileSync(certs.caFile, 'utf8');
  });
  afterAll(() => {
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
  return {
    get ca() {
      return ca;
    },
    async serve(handler) {
      const server = createServer({ key: readFileSync(certs!.serverKey), cert: readFileSync(certs!.serverCert) }, handler);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const addr = server.address();
      if (!addr || typeof addr === 'string') throw new Error('no port');
      return `https://127.0.0.1:${addr.port}`;
    },
  };
}
