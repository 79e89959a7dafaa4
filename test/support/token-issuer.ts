/**
 * A small registry token issuer for tests (the "realm" of notary-server's token auth), on 127.0.0.1 over
 * HTTPS. It answers `GET /token?service=S&scope=repository:GUN:push,pull` as Docker Distribution's token
 * servers do: `{"token": JWT, "access_token": JWT, "expires_in": 300}`.
 *
 * The JWT is what notary-server's token access controller (docker/distribution `registry/auth/token`,
 * token.go `Verify` / `VerifySigningKey`, read via the search tool) accepts:
 * - header `{"typ":"JWT","alg":"ES256","x5c":[base64 DER of the signing certificate]}`: the leaf in `x5c`
 *   must chain to a certificate of the server's `rootcertbundle` (Go `x509.Verify`, ExtKeyUsageAny);
 * - claims `iss` = the configured issuer, `aud` = the service, `nbf <= now <= exp`, `sub`, `iat`, `jti`,
 *   and `access: [{type:"repository", name:GUN, actions:[…]}]`;
 * - the signature is JWS ES256: raw r‖s (libtrust), over `base64url(header).base64url(claims)`.
 *
 * Basic credentials `user:password` get the actions they asked for (push, pull); no credentials get
 * pull only (what Docker Hub gives anonymous readers, and what `docker trust inspect` and `notary list`
 * ask for); wrong credentials get HTTP 401. Every request is counted, so a test can tell whether a
 * refused publish reached the issuer.
 */
import { createSign, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface TokenIssuer {
  /** `https://127.0.0.1:PORT/token`: the realm notary-server names in its 401. */
  realm: string;
  service: string;
  issuer: string;
  /** Requests answered so far, by outcome. */
  counts: { issued: number; anonymous: number; refused: number };
  stop(): Promise<void>;
}

export interface TokenIssuerOptions {
  service: string;
  issuer: string;
  username: string;
  password: string;
  /** TLS certificate and key of the issuer's HTTPS listener (PEM). */
  tlsCert: string;
  tlsKey: string;
  /** The key that signs tokens and its certificate (DER), which chains to notary-server's rootcertbundle. */
  signingKey: KeyObject;
  signingCertDer: Uint8Array;
}

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

/** `repository:NAME:push,pull` → {type, name, actions}. Names may hold ':' (a registry port). */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

export function issueToken(opts: Pick<TokenIssuerOptions, 'service' | 'issuer' | 'signingKey' | 'signingCertDer'>, subject: string, access: { type: string; name: string; actions: string[] }[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'ES256', x5c: [Buffer.from(opts.signingCertDer).toString('base64')] };
  const claims = { iss: opts.issuer, sub: subject, aud: opts.service, exp: now + 300, nbf: now - 60, iat: now, jti: randomUUID(), access };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = createSign('SHA256').update(input).sign({ key: opts.signingKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(sig)}`;
}

export async function startTokenIssuer(opts: TokenIssuerOptions): Promise<TokenIssuer> {
  const counts = { issued: 0, anonymous: 0, refused: 0 };
  const server: Server = createServer({ cert: opts.tlsCert, key: opts.tlsKey }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (url.pathname !== '/token' || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    const auth = req.headers.authorization;
    let subject = '';
    if (auth) {
      const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(auth);
      const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
      if (decoded !== `${opts.username}:${opts.password}`) {
        counts.refused++;
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'wrong user name or password' }] }));
        return;
      }
      subject = opts.username;
    }
    if (url.searchParams.get('service') !== opts.service) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'unknown service' }] }));
      return;
    }
    const access = url.searchParams
      .getAll('scope')
      .map(parseScope)
      .filter((s): s is NonNullable<typeof s> => s !== undefined)
      .map((s) => ({ ...s, actions: subject ? s.actions : s.actions.filter((a) => a === 'pull') }));
    if (subject) counts.issued++;
    else counts.anonymous++;
    const token = issueToken(opts, subject, access);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `https://127.0.0.1:${port}/token`,
    service: opts.service,
    issuer: opts.issuer,
    counts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
