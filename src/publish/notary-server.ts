/**
 * notary-server's HTTP API as a client needs it (Notary 0.7, measured: FIELD-NOTES "Notary 0.7"):
 *
 * - `GET /v2/GUN/_trust/tuf/ROLE.json` (ROLE may be `targets/releases`), `GET …/N.root.json`: 200 with the
 *   bytes as uploaded, 404 `METADATA_NOT_FOUND` when the GUN has none;
 * - `GET …/timestamp.key` / `snapshot.key`: the public key the server signs that role with — before a root
 *   is published every GET makes a new key (the server keeps them all); afterwards the key the root lists;
 * - `POST …/timestamp.key` / `snapshot.key`: a **new** key (the rotation path once a root is published);
 * - `POST /v2/GUN/_trust/tuf/`: multipart/form-data, one part per file, field `files`, filename = role
 *   (`root`, `targets`, `snapshot`, `targets/releases`); 400 with `{"errors":[{"code","message","detail"}]}`
 *   when refused.
 *
 * Every answer is size-capped, and every failure has a stable code (src/errors.ts, "publishing").
 */
import { CeremonyError } from '../errors.js';
import type { JsonObject } from '../json/types.js';
import { parseServerKey, SERVER_KEY_MAX_BYTES } from '../ceremony/server-key.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { HttpResponse } from './http.js';
import type { AuthorizedClient } from './registry-auth.js';
import { clipText } from '../json/clip.js';

/** GUNs as notary and Docker write them: `registry.example.com/org/app`, `docker.io/org/app`. */
const GUN_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export function checkGun(gun: string): string {
  if (!GUN_RE.test(gun) || gun.length > 255 || gun.split('/').some((s) => s === '..' || s === '.')) {
    throw new CeremonyError('USAGE', `--gun ${JSON.stringify(gun)} is not a repository name (GUN) like registry.example.com/org/app`);
  }
  return gun;
}

/** `https://host[:port]` with no path, query or credentials. */
export function checkServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not quoted when it could hold credentials (`user:password@`): the message reaches stderr.
    throw new CeremonyError('USAGE', `--server ${text.includes('@') ? '(not quoted: it holds an @)' : JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new CeremonyError('USAGE', `--server must be an https:// URL (got ${url.protocol}//…): metadata and credentials do not travel over plain http`);
  if (url.username || url.password) throw new CeremonyError('USAGE', '--server must not carry credentials: they come from the environment or a prompt');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) throw new CeremonyError('USAGE', '--server is the server’s origin only (https://host:port), without a path');
  return url.origin;
}

export type ServerKeyRole = 'timestamp' | 'snapshot';

export interface ServerKeyAnswer {
  /** The body as the server sent it (what `rehearse --timestamp-key` and plans take). */
  body: Uint8Array;
  json: JsonObject;
  keyId: string;
}

const KEY_MAX_BYTES = SERVER_KEY_MAX_BYTES;

/** `Basic dXNlcjpwdw==`, `Bearer eyJ…`: a credential (group 2) after its scheme (one with a digit, +, / or =, not a word). */
const AUTH_VALUE = /\b(Basic|Bearer)\s+((?=[A-Za-z0-9._~-]*[0-9+/=])[A-Za-z0-9._~+/=-]{4,})/gi;
/**
 * A run a bearer token or JWT could be (RFC 6750 b64token characters, 40 or more, mixing digits, upper-
 * and lower-case letters, so not a hex digest or a role path).
 */
const TOKEN_LIKE_RUN = /[A-Za-z0-9._~+/=-]{40,}/g;
const mixed = (run: string): boolean => /[0-9]/.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run);

/** Every character that starts a new line on a terminal or in a viewer (CR, LF, VT, FF, NEL, LS, PS). */
const LINE_BREAKS = /[\r\n\v\f\u0085\u2028\u2029]+/g;
const LINE_BREAK = /[\r\n\v\f\u0085\u2028\u2029]/;

type Range = [start: number, end: number];

/**
 * How much of the server's words is looked through (UTF-16 units). notary-server's errors are a line or
 * two, and at most 400 characters are shown (serverReason); but an error body may be as large as the
 * request's cap (64 MB for metadata), and the line views below hold an index per character. Past 1 Mi
 * nothing is shown unless more than a MiB before it was cut as secret.
 */
const SCAN_MAX = 1024 * 1024;

/**
 * `text` with each run of line breaks replaced by `sep`, and for each character of the result the index in
 * `text` it comes from (a replaced run: its first break).
 */
function lineView(text: string, sep: '' | ' '): { view: string; from: number[] } {
  let view = '';
  const from: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (!LINE_BREAK.test(text[i]!)) {
      view += text[i]!;
      from.push(i);
    } else if (sep && (i === 0 || !LINE_BREAK.test(text[i - 1]!))) {
      view += sep;
      from.push(i);
    }
  }
  return { view, from };
}

/**
 * The server's words (or a message that quotes them) as they may reach stderr: a token this client was
 * given or the password it sent (`tokens`: AuthorizedClient.tokenRanges), an Authorization value or a token-like run is cut out
 * (`…`), and the words stay on one line — a line break in them could print a line that reads as our own
 * (`error[…]: …`, `published`); terminalSafe (src/cli/output.ts) escapes the other controls.
 *
 * The secrets are looked for with the lines joined, twice: with nothing between them, so that a token the
 * server splits across lines (wrapped at some column, a CR/LF put in its middle) is whole again for every
 * rule; and with a space, so that `Bearer` at the end of a line still precedes its credential. What either
 * finds is cut from the text; each run of breaks left becomes one space. Joining with nothing can make one
 * longer token-like run of two lines' ends: that is cut too, which errs the safe way.
 */
function quotedServerText(whole: string, tokens: (text: string) => Range[]): string {
  const text = whole.length > SCAN_MAX ? whole.slice(0, SCAN_MAX) : whole;
  const cuts: Range[] = [];
  for (const sep of ['', ' '] as const) {
    const { view, from } = lineView(text, sep);
    const found: Range[] = [...tokens(view)];
    for (const m of view.matchAll(AUTH_VALUE)) found.push([m.index + m[0].length - m[2]!.length, m.index + m[0].length]);
    for (const m of view.matchAll(TOKEN_LIKE_RUN)) if (mixed(m[0])) found.push([m.index, m.index + m[0].length]);
    for (const [start, end] of found) if (end > start) cuts.push([from[start]!, from[end - 1]! + 1]);
  }
  cuts.sort((a, b) => a[0] - b[0]);
  const oneLine = (part: string): string => part.replace(LINE_BREAKS, ' ');
  let out = '';
  let at = 0;
  for (const [start, end] of cuts) {
    if (end <= at) continue;
    if (start >= at) out += `${oneLine(text.slice(at, start))}…`;
    at = end;
  }
  return out + oneLine(text.slice(at));
}

function serverReason(body: Uint8Array, tokens: (text: string) => Range[]): string {
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as { errors?: { code?: unknown; message?: unknown; detail?: unknown }[] };
    // notary-server puts the validation error in `detail`: a string, or {"Name", "Error": {"Msg", …}}.
    const detailText = (d: unknown): string | undefined => {
      if (typeof d === 'string') return d;
      const inner = (d as { Error?: { Msg?: unknown } } | null)?.Error?.Msg;
      return typeof inner === 'string' ? inner : undefined;
    };
    const parts = (parsed.errors ?? []).map((e) => [e.code, e.message, detailText(e.detail)].filter((x): x is string => typeof x === 'string' && x.length > 0).join(': '));
    const text = quotedServerText(parts.join('; '), tokens);
    // The project's one cut (src/json/clip.ts): it never leaves half a surrogate pair at the end.
    return clipText(text, 401);
  } catch {
    return '';
  }
}

/**
 * Where a redirect (never followed) points, for the refusal: the Location's origin only — its path or query
 * may hold a token — and only as the URL parser normalised it (scheme, host, port: no control character,
 * no server-chosen words); `file:`-like targets by their scheme.
 */
function redirectTarget(location: string | undefined, base: string): string {
  if (location === undefined) return 'a redirect without a Location, not followed';
  let url: URL;
  try {
    url = new URL(location, base);
  } catch {
    return 'a redirect to something that is not a URL, not followed';
  }
  const target = url.origin !== 'null' ? url.origin : `a ${url.protocol} URL`;
  return `a redirect to ${clipText(target, 200)}, not followed`;
}

export class NotaryServerApi {
  readonly base: string;
  constructor(
    private readonly client: AuthorizedClient,
    server: string,
    readonly gun: string,
  ) {
    this.base = `${checkServerUrl(server)}/v2/${checkGun(gun)}/_trust/tuf/`;
  }

  /**
   * A refusal for an answer with a status the request does not expect, naming where and what (review 14a
   * L5): `HOST: GET root.json: HTTP 302 (…)`, as the transport's own refusals do.
   */
  private failure(what: string, res: HttpResponse): CeremonyError {
    const { status, body } = res;
    const where = `${new URL(this.base).host}: ${what}: HTTP ${status}`;
    if (status === 401 || status === 403) return new CeremonyError('SERVER_AUTH_FAILED', `${where}: the token does not allow this on ${this.gun}`);
    const reason = status >= 300 && status < 400 ? redirectTarget(res.headers.location, this.base) : serverReason(body, (t) => this.client.tokenRanges(t));
    return new CeremonyError('SERVER_RESPONSE_INVALID', `${where}${reason ? ` (${reason})` : ''}`);
  }

  /**
   * A metadata file (`root.json`, `2.root.json`, `targets/releases.json`), or undefined on 404; refused
   * beyond `maxBytes` (default: the largest file cap).
   */
  async getMetadata(name: string, maxBytes = Math.max(DEFAULT_CAPS.targets, DEFAULT_CAPS.root)): Promise<Uint8Array | undefined> {
    const res = await this.client.send({ method: 'GET', url: this.base + name, maxBytes });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.failure(`GET ${name}`, res);
    return res.body;
  }

  private async key(method: 'GET' | 'POST', role: ServerKeyRole): Promise<ServerKeyAnswer> {
    const res = await this.client.send({ method, url: `${this.base}${role}.key`, maxBytes: KEY_MAX_BYTES });
    if (res.status !== 200) throw this.failure(`${method} ${role}.key`, res);
    // The body is what server-keys writes for a plan: read by the plan's own rule (src/ceremony/server-key.ts:
    // exactly keytype and keyval {public, "private": null}, a private key refused unread before anything
    // else), so a file taken here is never refused offline.
    try {
      const key = parseServerKey(res.body, `${role}.key`);
      return { body: res.body, json: key.json, keyId: key.keyId };
    } catch (err) {
      // Its message quotes the answer (its first characters, a field name or value): the server's words.
      const why = err instanceof CeremonyError ? `: ${quotedServerText(err.message, (t) => this.client.tokenRanges(t))}` : '';
      throw new CeremonyError('SERVER_KEY_INVALID', `${method} ${role}.key: the answer is not a public key as notary-server serves it${why}`, { cause: err });
    }
  }

  /** `GET ROLE.key`: the current key (before a root is published: a new one each time). */
  getKey(role: ServerKeyRole): Promise<ServerKeyAnswer> {
    return this.key('GET', role);
  }

  /** `POST ROLE.key`: a new key (once a root is published, the only way to get one). */
  rotateKey(role: ServerKeyRole): Promise<ServerKeyAnswer> {
    return this.key('POST', role);
  }

  /** One multipart POST of every file (role → bytes), as one update. */
  async upload(files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const form = new FormData();
    for (const [role, bytes] of files) form.append('files', new Blob([Uint8Array.from(bytes)], { type: 'application/octet-stream' }), role);
    // The standard Request serialises the form (boundary and all): no home-made multipart encoder.
    const encoded = new Request('https://multipart.invalid/', { method: 'POST', body: form });
    const body = new Uint8Array(await encoded.arrayBuffer());
    const res = await this.client.send({ method: 'POST', url: this.base, headers: { 'content-type': encoded.headers.get('content-type')! }, body, maxBytes: 64 * 1024 });
    if (res.status === 200 || res.status === 201) return;
    if (res.status === 400) {
      const reason = serverReason(res.body, (t) => this.client.tokenRanges(t));
      if (/does not hold current snapshot key/.test(reason)) {
        throw new CeremonyError('PUBLISH_SNAPSHOT_KEY_NOT_HELD', `notary-server refused the upload: ${reason}`);
      }
      throw new CeremonyError('SERVER_REFUSED_UPLOAD', `notary-server refused the upload of ${[...files.keys()].join(', ')}${reason ? `: ${reason}` : ''}`);
    }
    throw this.failure(`POST (${[...files.keys()].join(', ')})`, res);
  }
}
