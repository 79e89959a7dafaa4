/**
 * The registry token flow notary-server uses in production (Docker Registry "Token Authentication
 * Specification"; notary-server's `auth: {type: token, …}`): a request without a token gets HTTP 401 and
 * `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`; the client GETs
 * `realm?service=…&scope=…` (with Basic credentials to be allowed more than anonymous pulls) and retries
 * with `Authorization: Bearer <token>`. The answer is `{"token": …}` or `{"access_token": …}`.
 *
 * Credentials are asked for lazily (only when a realm is met) through a provider the CLI gives (an
 * environment variable or a no-echo prompt); the password bytes are zeroed by the provider's owner after
 * the command. Nothing here logs or returns the password or a token.
 *
 * The challenge is the server's word, and a compromised or impersonating server chooses it (review 14a
 * M1). So it decides neither where the password goes nor what the tokens allow (TokenAccess): credentials
 * go only to a realm on the server's own origin or one the operator named (`--token-realm`), and a token
 * is asked only for the command's repository (the GUN) and the actions the command needs — a challenge
 * asking for more is refused, not narrowed, so the operator sees it.
 */
import { CeremonyError } from '../errors.js';
import { clipText } from '../json/clip.js';
import type { HttpRequest, HttpResponse, HttpTransport } from './http.js';

export interface Credentials {
  username: string;
  /** UTF-8 bytes; zeroed by whoever made them, after the command. */
  password: Uint8Array;
  /**
   * Where the password came from, for the refusal message ("the environment variable NAME", "the
   * prompt"): a refusal never quotes the user name, as a password typed at the wrong prompt would be it.
   */
  source?: string;
}

export interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

/** `Bearer realm="…",service="…",scope="…"` (RFC 7235 auth-params; quoted values may hold commas). */
export function parseBearerChallenge(header: string | undefined): BearerChallenge {
  const m = header ? /^\s*Bearer\s+(.*)$/i.exec(header) : null;
  if (!m) throw new CeremonyError('SERVER_AUTH_CHALLENGE_INVALID', `the server asks for authentication without a Bearer challenge (${header ? 'WWW-Authenticate is not Bearer' : 'no WWW-Authenticate header'})`);
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/gy;
  const text = m[1]!;
  let match: RegExpExecArray | null;
  while (re.lastIndex < text.length && (match = re.exec(text)) !== null) {
    params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
  }
  if (!params.realm) throw new CeremonyError('SERVER_AUTH_CHALLENGE_INVALID', 'the Bearer challenge names no realm');
  let realm: URL;
  try {
    realm = new URL(params.realm);
  } catch {
    throw new CeremonyError('SERVER_AUTH_CHALLENGE_INVALID', 'the Bearer challenge realm is not a URL');
  }
  // Basic credentials go to the realm: never over plain http.
  if (realm.protocol !== 'https:') throw new CeremonyError('SERVER_AUTH_CHALLENGE_INVALID', `the token realm ${realm.origin} is not https; credentials are not sent to it`);
  return { realm: realm.toString(), ...(params.service !== undefined ? { service: params.service } : {}), ...(params.scope !== undefined ? { scope: params.scope } : {}) };
}

const TOKEN_MAX_BYTES = 64 * 1024;

/** An action in a registry token scope (Docker token spec, "scope": `repository:NAME:ACTION,…`). */
export type TokenAction = 'pull' | 'push' | '*';

/** What this client may ask a token realm for, and where credentials may go: decided by the command, not the server. */
export interface TokenAccess {
  /** The server's origin (`https://host:port`, checkServerUrl): a realm on it may be given the credentials. */
  server: string;
  /** The repository (GUN) the command reads or publishes: the only name a token is asked for. */
  repository: string;
  /**
   * The actions the command needs: `pull` for reads (status), `pull,push` for publish; `*` only for
   * notary-server's key rotation (its RotateKey endpoint requires it).
   */
  actions: readonly TokenAction[];
  /** Origins of token realms the operator named (`--token-realm`): credentials may go there too. */
  tokenRealms?: readonly string[];
}

/** A scope the server asked for, as the message quotes it: clipped, JSON-quoted (no control character survives). */
const quotedScope = (scope: string): string => JSON.stringify(clipText(scope, 200));

/**
 * The challenge's `scope`, checked against `access` and rebuilt from what was checked: each
 * space-separated item must be `repository:<the GUN>:<actions>` (the name may hold `:`, a registry port)
 * with actions among `access.actions`. Anything else — another repository, another resource type, `delete`,
 * `*` where the command needs no rotation — is refused, naming what was asked.
 */
export function checkChallengeScope(scope: string | undefined, access: TokenAccess, serverHost: string): string | undefined {
  if (scope === undefined || scope.trim() === '') return undefined;
  const allowed = `repository:${access.repository}:${access.actions.join(',')}`;
  const refuse = (why: string): CeremonyError =>
    new CeremonyError('SERVER_AUTH_CHALLENGE_INVALID', `the server ${serverHost} asks for a token of scope ${quotedScope(scope)}: ${why}; this command asks only for ${allowed}, so no token is requested`);
  const items: string[] = [];
  for (const item of scope.trim().split(/\s+/)) {
    const first = item.indexOf(':');
    const last = item.lastIndexOf(':');
    if (first <= 0 || last === first) throw refuse('it is not repository:NAME:ACTIONS');
    const type = item.slice(0, first);
    const name = item.slice(first + 1, last);
    const actions = item.slice(last + 1).split(',');
    if (type !== 'repository') throw refuse(`the resource type ${quotedScope(type)} is not repository`);
    if (name !== access.repository) throw refuse(`the repository ${quotedScope(name)} is not ${access.repository} (--gun)`);
    const extra = actions.filter((a) => !(access.actions as readonly string[]).includes(a));
    if (extra.length) throw refuse(`the action(s) ${quotedScope(extra.join(','))} are more than this command needs`);
    items.push(`repository:${access.repository}:${[...new Set(actions)].join(',')}`);
  }
  return [...new Set(items)].join(' ');
}

/** `--token-realm URL`: an https URL without credentials; its origin is what credentials may go to. */
export function checkTokenRealm(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CeremonyError('USAGE', `--token-realm ${text.includes('@') ? '(not quoted: it holds an @)' : JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new CeremonyError('USAGE', `--token-realm must be an https:// URL (got ${url.protocol}//…): credentials are never sent over plain http`);
  if (url.username || url.password) throw new CeremonyError('USAGE', '--token-realm must not carry credentials: they come from the environment or a prompt');
  return url.origin;
}

function basicHeader(c: Credentials): string {
  const user = Buffer.from(`${c.username}:`, 'utf8');
  const joined = Buffer.concat([user, Buffer.from(c.password.buffer, c.password.byteOffset, c.password.length)]);
  try {
    return `Basic ${joined.toString('base64')}`;
  } finally {
    joined.fill(0);
  }
}

export interface AuthorizedClientOptions {
  transport: HttpTransport;
  /** The repository and actions tokens may be asked for, and the realms credentials may go to. */
  access: TokenAccess;
  /**
   * Called at most once, when a realm is met and anonymous access is not enough, with the realm's host
   * (where the password goes: a prompt names it).
   */
  credentials?: (realmHost: string) => Promise<Credentials>;
  /** Try an anonymous token first (read-only commands); publish asks with credentials from the start. */
  anonymousFirst?: boolean;
}

/**
 * The shortest issued token cut out of a server's words (tokenRanges). A token of a few characters is also
 * a few letters of ordinary words: cutting a 1-character one takes that letter out of every word of every
 * message ("a bad scope" → "… b…d scope"), so the message is lost to keep out of it a string that is no
 * real credential — registries issue tokens of tens to hundreds of characters (JWTs, opaque 32+ character
 * ones); a realm answering with a handful of characters is a test setup or a broken one. From 8 characters
 * of the b64token alphabet (RFC 6750) a match inside notary-server's ordinary words is unlikely, so the
 * message stays readable. A shorter token echoed as `Bearer <token>` is still cut by notary-server.ts's
 * Authorization rule when it has 4 or more characters and a digit, +, / or =.
 */
export const REDACT_MIN_LENGTH = 8;

/** The shortest password (UTF-8 bytes) cut out of a server's words (AuthorizedClient.passwordRanges). */
export const PASSWORD_REDACT_MIN_BYTES = 4;

/** A UTF-8 continuation byte (10xxxxxx). */
const isContinuation = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;

/**
 * Byte ranges of `utf8` (each on character boundaries) as ranges of the string it encodes, in one forward
 * pass over the bytes: each lead byte is one UTF-16 unit, or two for a 4-byte sequence (a surrogate pair).
 * `utf8` comes from Buffer.from(string): well-formed (a lone surrogate became U+FFFD, one unit either way).
 */
function utf16Offsets(utf8: Uint8Array, ranges: readonly [number, number][]): [number, number][] {
  const points = [...new Set(ranges.flat())].sort((a, b) => a - b);
  const unitAt = new Map<number, number>();
  let byte = 0;
  let unit = 0;
  for (const p of points) {
    for (; byte < p; byte++) {
      const b = utf8[byte]!;
      if (!isContinuation(b)) unit += b >= 0xf0 ? 2 : 1;
    }
    unitAt.set(p, unit);
  }
  return ranges.map(([from, to]) => [unitAt.get(from)!, unitAt.get(to)!]);
}

/**
 * A transport that answers 401 challenges: one token per scope, reused. `send` returns the final answer
 * (still 401 when the token does not allow the request; the caller maps that to SERVER_AUTH_FAILED).
 */
export class AuthorizedClient {
  private readonly tokens = new Map<string, string>();
  /** Every token a realm gave (used or not): what tokenRanges() finds in text that reaches stderr. */
  private readonly issued = new Set<string>();
  private creds: Credentials | undefined;
  /**
   * The origin of the realm the credentials were given for. The server names the realm in every challenge:
   * one that later names another (a compromised or misconfigured server, a proxy in front of it) would
   * otherwise collect the password given for the first, without a new prompt.
   */
  private credentialsRealm: string | undefined;
  constructor(private readonly opts: AuthorizedClientOptions) {}

  private async credentials(realm: URL): Promise<Credentials> {
    if (this.credentialsRealm !== undefined && this.credentialsRealm !== realm.origin) {
      throw new CeremonyError(
        'SERVER_AUTH_CHALLENGE_INVALID',
        `the server now names the token realm ${realm.host}, not ${new URL(this.credentialsRealm).host} the credentials were given for: they are not sent there`,
      );
    }
    const { server, tokenRealms = [] } = this.opts.access;
    // Checked before the provider runs: neither the environment's password nor a prompt for one.
    if (realm.origin !== server && !tokenRealms.includes(realm.origin)) {
      throw new CeremonyError(
        'SERVER_AUTH_CHALLENGE_INVALID',
        `the server ${new URL(server).host} names the token realm ${realm.origin}, which is not on the server's own origin ${server}: the credentials are not sent there. If that is your registry's token service, allow it with --token-realm ${realm.origin}`,
      );
    }
    if (!this.creds) {
      if (!this.opts.credentials) throw new CeremonyError('SERVER_CREDENTIALS_MISSING', 'the server asks for credentials and none can be given');
      this.creds = await this.opts.credentials(realm.host);
      this.credentialsRealm = realm.origin;
    }
    return this.creds;
  }

  private async fetchToken(ch: BearerChallenge, withCredentials: boolean): Promise<string | undefined> {
    const url = new URL(ch.realm);
    if (ch.service !== undefined) url.searchParams.set('service', ch.service);
    if (ch.scope !== undefined) url.searchParams.set('scope', ch.scope);
    const headers: Record<string, string> = {};
    if (withCredentials) headers.authorization = basicHeader(await this.credentials(url));
    const res = await this.opts.transport({ method: 'GET', url: url.toString(), headers, maxBytes: TOKEN_MAX_BYTES });
    if (res.status === 401 || res.status === 403) {
      if (!withCredentials) return undefined;
      // Never the user name (nor anything of the answer): it may be a password typed in the wrong place,
      // and this message reaches stderr and the session transcript.
      const source = (await this.credentials(url)).source;
      throw new CeremonyError('SERVER_AUTH_FAILED', `the token realm ${url.host} refused the credentials given${source ? ` (from ${source})` : ''} (HTTP ${res.status}): wrong user name or password?`);
    }
    if (res.status !== 200) throw new CeremonyError('SERVER_RESPONSE_INVALID', `the token realm ${url.host} answered HTTP ${res.status}`);
    let token: unknown;
    try {
      const body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body)) as { token?: unknown; access_token?: unknown };
      token = body.token ?? body.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || !/^[A-Za-z0-9._~+/=-]{1,16384}$/.test(token)) {
      throw new CeremonyError('SERVER_RESPONSE_INVALID', `the token realm ${url.host} answered without a token`);
    }
    this.issued.add(token);
    return token;
  }

  /**
   * Where in `text` (a server's words on their way to a message) a token this client was given, or the
   * password it sent (passwordRanges: plain, or in base64 as the Basic header carried it), appears, as
   * [start, end) ranges for the caller to cut out (notary-server.ts quotedServerText): a server may echo the
   * bearer token it got, and a short or plain one is no token-like run to spot.
   */
  tokenRanges(text: string): [start: number, end: number][] {
    const out: [number, number][] = [];
    for (const token of this.issued) {
      if (token.length < REDACT_MIN_LENGTH) continue;
      for (let at = text.indexOf(token); at !== -1; at = text.indexOf(token, at + token.length)) out.push([at, at + token.length]);
    }
    out.push(...this.passwordRanges(text));
    return out;
  }

  /**
   * The password given, where the server's words hold it in plain text or as the Basic credential
   * (base64 of `user:password`, with or without padding, or base64url). A server that is its own token
   * realm (the usual set-up) got it in the Basic header and may echo it in a later error; that text would
   * reach stderr and the session transcript. Searched as bytes (the password stays a zeroable Uint8Array,
   * never a string), from PASSWORD_REDACT_MIN_BYTES: a shorter one would cut letters out of every word,
   * and is no password a registry accepts. Nothing once the owner has zeroed it after the command.
   *
   * Linear in the text (review 14a L2: converting each match's byte offset by decoding the whole prefix
   * again was quadratic — 118 s of CPU on a 256 Ki-character body full of a 4-byte password): every match
   * is found first, then all byte offsets are turned into string offsets in one forward pass (utf16Offsets).
   */
  private passwordRanges(text: string): [start: number, end: number][] {
    const c = this.creds;
    const pw = c?.password;
    if (!c || !pw || pw.length < PASSWORD_REDACT_MIN_BYTES || pw.every((b) => b === 0)) return [];
    const password = Buffer.from(pw.buffer, pw.byteOffset, pw.length);
    // Review 14a L1: the Basic credential, base64(user:password), echoed without the word "Basic" is no
    // Authorization value (notary-server.ts AUTH_VALUE) and, at 8 to 39 characters, no token-like run:
    // it was printed. It is looked for padded and without its padding (a server may trim the `=`).
    // Made from the bytes here, not kept: nothing of it outlives the zeroed password.
    const joined = Buffer.concat([Buffer.from(`${c.username}:`, 'utf8'), password]);
    const b64 = joined.toString('base64');
    joined.fill(0);
    const unpadded = b64.replace(/=+$/, '');
    // …and in base64url (`-` and `_` for `+` and `/`, unpadded), as a server re-encoding it for a URL or a
    // JSON web token would write it.
    const url = unpadded.replace(/\+/g, '-').replace(/\//g, '_');
    const encoded = [Buffer.from(b64, 'latin1'), Buffer.from(unpadded, 'latin1'), ...(url !== unpadded ? [Buffer.from(url, 'latin1')] : [])];
    const hay = Buffer.from(text, 'utf8');
    try {
      const found: [number, number][] = [];
      for (const needle of [password, ...encoded]) {
        for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + needle.length)) {
          // Widened to whole characters: a password that is not whole UTF-8 can match inside one.
          let from = at;
          while (from > 0 && isContinuation(hay[from])) from--;
          let to = at + needle.length;
          while (to < hay.length && isContinuation(hay[to])) to++;
          found.push([from, to]);
        }
      }
      return utf16Offsets(hay, found);
    } finally {
      // The server's words as bytes hold the secrets where they matched.
      hay.fill(0);
      for (const e of encoded) e.fill(0);
    }
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const scopeKey = req.url.replace(/\/_trust\/.*$/, '');
    const cached = this.tokens.get(scopeKey);
    const first = await this.opts.transport(cached ? { ...req, headers: { ...req.headers, authorization: `Bearer ${cached}` } } : req);
    if (first.status !== 401) return first;
    const parsed = parseBearerChallenge(first.headers['www-authenticate']);
    const scope = checkChallengeScope(parsed.scope, this.opts.access, new URL(req.url).host);
    const ch: BearerChallenge = { realm: parsed.realm, ...(parsed.service !== undefined ? { service: parsed.service } : {}), ...(scope !== undefined ? { scope } : {}) };
    let token: string | undefined;
    const anonymousOk = this.opts.anonymousFirst && req.method === 'GET';
    if (anonymousOk) token = await this.fetchToken(ch, false);
    let res = token ? await this.opts.transport({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } }) : undefined;
    if (!res || res.status === 401) {
      token = await this.fetchToken(ch, true);
      res = await this.opts.transport({ ...req, headers: { ...req.headers, authorization: `Bearer ${token!}` } });
    }
    if (res.status !== 401) this.tokens.set(scopeKey, token!);
    return res;
  }
}
