/**
 * `tuf-ceremony publish DIR_OR_BUNDLE --server URL --gun GUN [--ca-file PEM] [--root PINNED_ROOT]
 * [--dry-run] [--json]` and `tuf-ceremony server-keys get|rotate --server URL --gun GUN --role
 * timestamp|snapshot [--ca-file PEM] --out FILE` (issue #14): the online machine's side, thin over
 * src/publish. The offline app never talks to a network.
 *
 * Credentials for the registry token flow: the user name from `--username` (or TUF_CEREMONY_REGISTRY_USER),
 * the password from the environment variable `--password-env` names (default
 * TUF_CEREMONY_REGISTRY_PASSWORD), else asked on the terminal without echo. They are asked only when the
 * server's token realm is met, sent only to that https realm — and only when it is on the server's own
 * origin or one `--token-realm` names (review 14a M1: the server's challenge names the realm) — never
 * written or printed; the password bytes are zeroed when the command ends. Tokens are asked for the `--gun`
 * only, with the actions the command needs (src/publish/registry-auth.ts TokenAccess).
 *
 * Each publish (not a dry run) writes a session transcript — the server, the GUN, what was uploaded, the
 * fetch-back verification, or the refusal and its code; never a credential — as a new file in
 * `tuf-ceremony-sessions/` beside the input (src/publish/publish-session.ts); `--json` gives its path as
 * `transcript` (null for a dry run).
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { readMetadataFolder } from '../io/ceremony-output.js';
import { assertAbsent, isDirectory, readFileCapped, writeFileAtomic } from '../io/files.js';
import { httpsTransport } from '../io/https-transport.js';
import { shownOrQuoted } from '../json/fields.js';
import type { HttpTransport } from '../publish/http.js';
import { NotaryServerApi, checkGun, checkServerUrl, type ServerKeyRole } from '../publish/notary-server.js';
import { describeChange, oldestLocalRoot, publishRepository, PublishOutcomeUnknown } from '../publish/publish.js';
import { publishSessionTranscript, type PublishSessionOutcome, type PublishSessionStart } from '../publish/publish-session.js';
import type { UploadPlan } from '../publish/upload-set.js';
import { folderListingSha256, SESSIONS_FOLDER_NAME } from '../trust-store/import-session.js';
import { writeSessionTranscript } from '../io/session-files.js';
import { AuthorizedClient, checkTokenRealm, type Credentials, type TokenAction } from '../publish/registry-auth.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import { readRepositoryInput } from './repository-input.js';
import type { Io } from './output.js';
import { promptPinHidden } from './pin-prompt.js';

export const DEFAULT_USER_ENV = 'TUF_CEREMONY_REGISTRY_USER';
export const DEFAULT_PASSWORD_ENV = 'TUF_CEREMONY_REGISTRY_PASSWORD';
const CA_MAX_BYTES = 1024 * 1024;

export interface ServerDeps {
  /** The transport for a CA (PEM) or the bundled store. */
  transport(ca: string | undefined): HttpTransport;
  env: Record<string, string | undefined>;
  interactive: boolean;
  promptSecret(question: string): Promise<Uint8Array>;
}

export const processServerDeps = (): ServerDeps => ({
  transport: (ca) => httpsTransport(ca ? { ca } : {}),
  env: process.env,
  interactive: Boolean(process.stdin.isTTY && process.stdin.setRawMode),
  promptSecret: (q) => promptPinHidden(q),
});

export interface ServerOptions {
  server: string;
  gun: string;
  caFile?: string;
  username?: string;
  passwordEnv?: string;
  /** `--token-realm URL` (repeatable): a token realm not on the server's origin that may get the credentials. */
  tokenRealm?: string[];
}

/** What a command needs of the server's tokens: read-only commands try anonymous tokens first. */
export interface ServerNeed {
  anonymousFirst: boolean;
  actions: readonly TokenAction[];
}
/** status --server: reads only. */
export const READ_NEED: ServerNeed = { anonymousFirst: true, actions: ['pull'] };
/** publish: notary-server's update endpoint requires push and pull. */
export const PUBLISH_NEED: ServerNeed = { anonymousFirst: false, actions: ['pull', 'push'] };

/** An authorised notary-server client; `dispose` zeroes the password bytes if any were read. */
/**
 * `note` gets one stderr line when a password from the environment goes to a token realm: unlike the
 * prompt, which names the realm, nothing else would say where it went (review 14a M1).
 */
export async function openServer(opts: ServerOptions, deps: ServerDeps, need: ServerNeed, note: (line: string) => void = () => undefined): Promise<{ api: NotaryServerApi; dispose(): void }> {
  const server = checkServerUrl(opts.server);
  const gun = checkGun(opts.gun);
  const tokenRealms = (opts.tokenRealm ?? []).map(checkTokenRealm);
  const ca = opts.caFile ? new TextDecoder().decode(await readFileCapped(opts.caFile, CA_MAX_BYTES)) : undefined;
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) throw new CeremonyError('USAGE', `--ca-file ${basename(opts.caFile!)} holds no PEM certificate`);
  const passwordEnv = opts.passwordEnv ?? DEFAULT_PASSWORD_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv)) throw new CeremonyError('USAGE', '--password-env must name an environment variable');
  let creds: Credentials | undefined;
  const credentials = async (realmHost: string): Promise<Credentials> => {
    const username = opts.username ?? deps.env[DEFAULT_USER_ENV];
    if (!username) throw new CeremonyError('SERVER_CREDENTIALS_MISSING', `the server's token realm asks for credentials: give --username (or set ${DEFAULT_USER_ENV})`);
    const fromEnv = deps.env[passwordEnv];
    let password: Uint8Array;
    let source: string;
    if (fromEnv !== undefined && fromEnv !== '') {
      password = new TextEncoder().encode(fromEnv);
      source = `the environment variable ${passwordEnv}`;
      // Never the user name: it may be a password set in the wrong variable (as in every refusal).
      note(`note: the registry credentials (password from ${passwordEnv}) go to the token realm ${realmHost}, named by ${new URL(server).host}`);
    } else if (deps.interactive) {
      // The realm's host, where the password goes — not only the server's, which names the realm.
      password = await deps.promptSecret(`Password for ${username} at the token realm ${realmHost} (asked for by ${new URL(server).host}): `);
      source = 'the prompt';
    } else throw new CeremonyError('SERVER_CREDENTIALS_MISSING', `the server's token realm asks for a password: set ${passwordEnv}, or run on a terminal to be asked`);
    creds = { username, password, source };
    return creds;
  };
  const client = new AuthorizedClient({ transport: deps.transport(ca), credentials, anonymousFirst: need.anonymousFirst, access: { server, repository: gun, actions: need.actions, tokenRealms } });
  return { api: new NotaryServerApi(client, server, gun), dispose: () => creds?.password.fill(0) };
}

/** A ceremony output folder, a metadata folder, or a trust bundle (bundles go through the bundle decoder). */
export async function readPublishInput(input: string): Promise<RepositoryFiles> {
  if (await isDirectory(input)) return readMetadataFolder(input);
  const source = await readRepositoryInput(input, { bundleOnly: true });
  return source.files;
}

export interface PublishCommandOptions extends ServerOptions {
  root?: string;
  dryRun?: boolean;
  /** `--without-delegated ROLE` (repeatable): publish a targets.json that takes keys from ROLE without ROLE's new file, knowingly. */
  withoutDelegated?: string[];
  /** `--first-publish`: the server has never served this repository; needed when it serves nothing and the root is above version 1. */
  firstPublish?: boolean;
  json?: boolean;
  now?: Date;
}

/** Where publish writes its session transcripts: `tuf-ceremony-sessions/` beside the input (publish-session.ts). */
export function publishSessionsDir(input: string): string {
  return join(dirname(resolve(input)), SESSIONS_FOLDER_NAME);
}

export async function publishCommand(input: string, opts: PublishCommandOptions, io: Io, deps: ServerDeps = processServerDeps()): Promise<number> {
  const local = await readPublishInput(input);
  const pinnedRoot = opts.root ? await readFileCapped(opts.root, DEFAULT_CAPS.root) : undefined;
  const { api, dispose } = await openServer(opts, deps, PUBLISH_NEED, (line) => io.err(line));
  // The session transcript (src/publish/publish-session.ts): from here on, the outcome is recorded.
  const session: PublishSessionStart = {
    host: new URL(api.base).host,
    gun: api.gun,
    input: { name: basename(resolve(input)), sha256: folderListingSha256(local) },
    pinnedRoot: pinnedRoot ? { name: basename(opts.root!), bytes: pinnedRoot } : { name: 'the oldest root of the input (pinned)', bytes: oldestLocalRoot(local) },
    ...(opts.now ? { now: () => opts.now! } : {}),
  };
  // One session, one file: written the moment the server accepts the upload (review 14a M2), then
  // replaced, atomically, by the whole transcript once the fetch-back is done (the same session, the
  // same start time, more entries); a run that dies in between leaves "uploaded; not verified yet".
  const started = session.now ? session.now() : new Date();
  let written: string | undefined;
  const record = async (outcome: PublishSessionOutcome): Promise<{ path: string } | { warning: string }> => {
    const dir = publishSessionsDir(input);
    try {
      const bytes = await publishSessionTranscript({ ...session, now: () => started }, outcome);
      if (written) await writeFileAtomic(written, bytes, { overwrite: true });
      else written = await writeSessionTranscript(dir, 'publish', started, bytes);
      return { path: written };
    } catch (err) {
      if (!isCeremonyError(err)) throw err;
      return { warning: `the session transcript could not be written in ${dir}: [${err.code}] ${err.message}` };
    }
  };
  try {
    let outcome;
    let accepted: UploadPlan | undefined;
    const onUploaded = async (plan: UploadPlan): Promise<void> => {
      accepted = plan;
      const r = await record({ uploaded: plan });
      if ('warning' in r) io.err(`warning: ${r.warning}`);
    };
    try {
      outcome = await publishRepository({ local, api, now: opts.now ?? new Date(), dryRun: Boolean(opts.dryRun), onUploaded, ...(pinnedRoot ? { pinnedRoot } : {}), ...(opts.withoutDelegated?.length ? { withoutDelegated: opts.withoutDelegated } : {}), ...(opts.firstPublish ? { firstPublish: true } : {}) });
    } catch (err) {
      // A refusal is recorded (not a dry run's, which records nothing): its code and message first. After
      // an accepted upload it is recorded as the upload and what failed after it, never as a refusal.
      if (opts.dryRun || !isCeremonyError(err) || err.code === 'USAGE') throw err;
      const r = await record(accepted ? { uploaded: accepted, unverified: err } : err instanceof PublishOutcomeUnknown ? { sent: err.plan, unknown: err } : { refused: err });
      const message = messageWithoutPath(err);
      const what = accepted ? 'the upload and what failed after it are' : err instanceof PublishOutcomeUnknown ? 'the upload sent and its unknown outcome are' : 'the refusal is';
      throw new CeremonyError(err.code, `${message} (${'path' in r ? `${what} recorded in ${r.path}` : r.warning})`, { ...(err.path !== undefined ? { path: err.path } : {}), cause: err });
    }
    const recorded = opts.dryRun ? undefined : await record({ published: outcome });
    const transcript = recorded && 'path' in recorded ? recorded.path : null;
    const { plan } = outcome;
    const state = opts.dryRun ? (plan.upload.size ? 'would-publish' : 'already-published') : plan.upload.size ? 'published' : 'already-published';
    if (opts.json) {
      io.out(
        JSON.stringify(
          {
            ok: true,
            state,
            server: api.base.replace(/\/v2\/.*$/, ''),
            gun: api.gun,
            dryRun: Boolean(opts.dryRun),
            transcript,
            ...(recorded && 'warning' in recorded ? { transcriptWarning: recorded.warning } : {}),
            firstPublish: plan.firstPublish,
            firstPublishConfirmed: plan.firstPublishConfirmed,
            upload: [...plan.upload.keys()],
            roles: plan.roles.map((r) => ({ role: r.role, from: r.from ?? null, to: r.to, upload: r.upload })),
            snapshotHeldBy: plan.snapshotHeldBy,
            notUploaded: plan.notUploaded,
            pinnedRootVersion: outcome.pinnedRootVersion,
            answerLost: Boolean(outcome.answerLost),
            served: outcome.served
              ? {
                  root: outcome.served.root.signed.version,
                  targets: outcome.served.targets!.md.signed.version,
                  snapshot: outcome.served.snapshot!.md.signed.version,
                  timestamp: outcome.served.timestamp!.md.signed.version,
                  timestampExpires: outcome.served.timestamp!.md.signed.expiresText,
                  delegated: Object.fromEntries([...outcome.served.delegated].map(([name, d]) => [name, d.md.signed.version])),
                }
              : null,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const where = `${shownOrQuoted(api.gun)} on ${new URL(api.base).host}`;
    if (opts.dryRun) io.out(plan.upload.size ? `dry run: would publish ${[...plan.upload.keys()].join(', ')} to ${where} in one upload` : `dry run: ${where} already serves these files; nothing to upload`);
    else io.out(plan.upload.size ? `published: ${[...plan.upload.keys()].join(', ')} to ${where}` : `already published: ${where} serves these files; nothing uploaded`);
    for (const r of plan.roles) io.out(`  ${describeChange(r)}`);
    if (outcome.answerLost) io.out("  the server's answer to the upload was lost; reading it back found the upload applied (verified below)");
    if (plan.firstPublishConfirmed) io.out('  first publish: confirmed by the operator (--first-publish)');
    io.out(`  snapshot signed by ${plan.snapshotHeldBy === 'server' ? 'the server' : 'the offline snapshot key (uploaded)'}`);
    for (const n of plan.notUploaded) io.out(`  not uploaded: ${n.file} (${n.why})`);
    if (outcome.served) {
      const s = outcome.served;
      io.out(
        `  verified what the server now serves from pinned root v${outcome.pinnedRootVersion}: root v${s.root.signed.version}, targets v${s.targets!.md.signed.version}, snapshot v${s.snapshot!.md.signed.version}, timestamp v${s.timestamp!.md.signed.version}${[...s.delegated].map(([name, d]) => `, ${name} v${d.md.signed.version}`).join('')} (expires ${s.timestamp!.md.signed.expiresText})`,
      );
    }
    if (transcript) io.out(`  session transcript ${transcript} (hash-chained, unsealed: tuf-ceremony transcript verify ${transcript} --allow-unsealed)`);
    else if (recorded && 'warning' in recorded) io.err(`warning: ${recorded.warning}`);
    return 0;
  } finally {
    dispose();
  }
}

export interface ServerKeysOptions extends ServerOptions {
  role: string;
  out: string;
  json?: boolean;
}

export async function serverKeysCommand(action: string, opts: ServerKeysOptions, io: Io, deps: ServerDeps = processServerDeps()): Promise<number> {
  if (action !== 'get' && action !== 'rotate') throw new CeremonyError('USAGE', 'server-keys takes get or rotate');
  if (opts.role !== 'timestamp' && opts.role !== 'snapshot') throw new CeremonyError('USAGE', '--role must be timestamp or snapshot');
  const role = opts.role as ServerKeyRole;
  // Checked before asking the server: a rotated key must not be lost to an existing file.
  await assertAbsent([opts.out]);
  // notary-server: GET ROLE.key requires push and pull (it may make a key), POST (rotate) requires `*`.
  const { api, dispose } = await openServer(opts, deps, { anonymousFirst: false, actions: action === 'rotate' ? ['pull', 'push', '*'] : ['pull', 'push'] }, (line) => io.err(line));
  try {
    if (action === 'get' && (await api.getMetadata('root.json'))) {
      // Once a root is published GET answers the key that root lists — fine for a renewal that keeps it;
      // a new key for a rotation comes from POST (server-keys rotate) only.
      if (!opts.json) io.err(`note: ${shownOrQuoted(api.gun)} already has a root: this is the ${role} key it lists; for a new key (a rotation) use server-keys rotate`);
    }
    const key = action === 'get' ? await api.getKey(role) : await api.rotateKey(role);
    await writeFileAtomic(opts.out, key.body);
    if (opts.json) io.out(JSON.stringify({ ok: true, action, role, gun: api.gun, out: opts.out, keyId: key.keyId, keytype: key.json.keytype }, null, 2));
    else io.out(`wrote ${opts.out}: ${action === 'rotate' ? 'a NEW ' : ''}${role} key of ${shownOrQuoted(api.gun)}, ${String(key.json.keytype)} ${key.keyId}`);
    return 0;
  } finally {
    dispose();
  }
}

/** A repeatable option's values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const TOKEN_REALM_HELP = "a token realm not on the server's own host (https://auth.example.com) that may be given the credentials; without it they go only to a realm on --server's origin (repeatable)";

export function registerPublishCommands(program: Command, io: Io, done: (status: number) => void, deps?: ServerDeps): void {
  const serverOptions = (c: Command) =>
    c
      .requiredOption('--server <URL>', 'notary-server, https://host:port')
      .requiredOption('--gun <GUN>', 'the repository (Docker: docker.io/org/app for image org/app)')
      .option('--ca-file <PEM>', 'trust the server (and its token realm) only through these CA certificates (default: the bundled CA list)')
      .option('--username <USER>', `user name for the token realm (default: $${DEFAULT_USER_ENV})`)
      .option('--password-env <NAME>', `environment variable holding the password (default: ${DEFAULT_PASSWORD_ENV}; else asked without echo)`)
      .option('--token-realm <URL>', TOKEN_REALM_HELP, collect)
      .option('--json', 'machine-readable result (documented in the README)');
  serverOptions(
    program
      .command('publish')
      .description('upload a ceremony output (or trust bundle) to notary-server as one update, then verify what the server serves from the pinned root')
      .argument('<DIR_OR_BUNDLE>', 'a ceremony output folder, a metadata folder, or a trust bundle'),
  )
    .option('--root <PINNED_ROOT>', 'the root.json clients pin (default: the oldest root in the input)')
    .option('--dry-run', 'check everything and say what would be uploaded; upload nothing')
    .option(
      '--without-delegated <ROLE>',
      "publish a targets.json that takes a key from ROLE without ROLE's new file, knowingly: ROLE's tags stay trusted, or stop verifying until its keys re-sign the file (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--first-publish', 'the server has never served this repository: needed when it serves nothing for the GUN and the root is above version 1 (edited offline before its first publish)')
    .action(async (input: string, opts: PublishCommandOptions) => {
      done(await publishCommand(input, opts, io, deps));
    });
  serverOptions(
    program
      .command('server-keys')
      .description("fetch (get) or rotate (a new key: POST) notary-server's timestamp or snapshot key, as the file a plan and rehearse --timestamp-key take")
      .argument('<ACTION>', 'get | rotate'),
  )
    .requiredOption('--role <ROLE>', 'timestamp or snapshot')
    .requiredOption('--out <FILE>', 'the key file to write (never overwritten)')
    .action(async (action: string, opts: ServerKeysOptions) => {
      done(await serverKeysCommand(action, opts, io, deps));
    });
}
