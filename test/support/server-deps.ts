/**
 * The CLI's server dependencies (src/cli/publish.ts ServerDeps) for tests: no terminal, no prompt (a test
 * that reaches one fails), the real HTTPS transport behind the CA the command is given or `ca`, and only
 * the environment given — `registry: true` puts the test registry's user and password there
 * (notary-tls.ts).
 */
import type { ServerDeps } from '../../src/cli/publish.js';
import { httpsTransport, type HttpsTransportOptions } from '../../src/io/https-transport.js';
import { TOKEN_PASSWORD, TOKEN_USER } from './notary-tls.js';

export interface TestServerDepsOptions {
  /** The CA to trust whatever the command passes (a loopback server's test CA). */
  ca?: string;
  timeoutMs?: number;
  /** A transport of the test's own instead of httpsTransport. */
  transport?: ServerDeps['transport'];
  env?: Record<string, string>;
  /** TUF_CEREMONY_REGISTRY_USER / _PASSWORD set to the test registry's (before `env`, which may override them). */
  registry?: boolean;
}

export function testServerDeps(opts: TestServerDepsOptions = {}): ServerDeps {
  const transportOptions = (ca: string | undefined): HttpsTransportOptions => {
    const pem = opts.ca ?? ca;
    return { ...(pem ? { ca: pem } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) };
  };
  return {
    transport: opts.transport ?? ((ca) => httpsTransport(transportOptions(ca))),
    env: { ...(opts.registry ? { TUF_CEREMONY_REGISTRY_USER: TOKEN_USER, TUF_CEREMONY_REGISTRY_PASSWORD: TOKEN_PASSWORD } : {}), ...(opts.env ?? {}) },
    interactive: false,
    promptSecret: () => Promise.reject(new Error('no prompt in tests')),
  };
}
