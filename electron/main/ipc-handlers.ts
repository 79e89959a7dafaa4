/**
 * One handler per IPC channel: validate the payload against its schema, call the core, and return the
 * result as data. Errors cross IPC as `{ ok: false, code, message, path }` (STYLE.md "Errors"); only a
 * CeremonyError's message crosses, anything else becomes INTERNAL (src/errors.ts toErrorShape).
 *
 * No Electron here: the sender check and ipcMain registration live in ipc-register.ts.
 */
import type { z } from 'zod';
import { CeremonyError, toErrorShape } from '../../src/errors.js';
import { inspectNamedFiles } from '../../src/inspect/inspect.js';
import { TokenError } from '../../src/signers/pkcs11/errors.js';
import type {
  AppInfo,
  CeremonyStatusView,
  GeneratedKeyView,
  Inspection,
  IpcFailure,
  IpcResult,
  NamedFile,
  PrintResultView,
  TokenModuleView,
  TokensCheckResult,
  TranscriptView,
} from '../shared/api-types.js';
import { CHANNELS, type ChannelName } from '../shared/channels.js';
import { firstProblem, REQUEST_SCHEMAS } from '../shared/schemas.js';
import { CeremonySession, defaultCeremonyDeps, verifyTranscriptFile } from './ceremony.js';
import { checkToken, defaultTokenDeps, generateKey, listTokens, pinBytes, type TokenDeps } from './tokens.js';

type Input<C extends ChannelName> = z.output<(typeof REQUEST_SCHEMAS)[C]>;

export type Handler = (payload: unknown) => Promise<IpcResult<unknown>>;

export interface HandlerDeps {
  /** Name and version of the running app (main passes app.getName() / app.getVersion()). */
  appInfo: () => { name: string; version: string };
  /** src/inspect/inspect.ts: sync, pure, throws CeremonyError. */
  inspectNamedFiles: (req: { files: NamedFile[]; trustedRoot?: NamedFile; directory?: boolean; source?: string; now?: Date }) => Inspection;
  /**
   * PKCS#11 modules and where presets live (electron/main/tokens.ts). Main passes one `TokenModules` for
   * the process and finalises it on quit; without it, handlers get their own.
   */
  tokens: TokenDeps;
  /**
   * The one root ceremony of this process (electron/main/ceremony.ts). Main passes one with its output
   * folder dialog and printing; the e2e bridge one with a temporary folder; without it, handlers get one
   * that can prepare and show a plan but has nowhere to write.
   */
  ceremony: CeremonySession;
}

function failure(err: unknown): IpcFailure {
  const out: IpcFailure = { ok: false, ...toErrorShape(err) };
  // A token refusal names its token and, after a wrong PIN, the tries the token's flags report.
  if (err instanceof TokenError) {
    if (err.token) out.token = { label: err.token.label, serial: err.token.serial };
    if (err.pinTries) out.pinTries = err.pinTries;
  }
  return out;
}

/** Parse `payload` with the channel's schema, or throw IPC_INVALID naming the first bad field. */
function validate<C extends ChannelName>(channel: C, payload: unknown): Input<C> {
  const schema = REQUEST_SCHEMAS[channel];
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const problem = firstProblem(parsed.error);
    throw new CeremonyError('IPC_INVALID', `${channel}: ${problem.message}`, { path: problem.path });
  }
  return parsed.data as Input<C>;
}

/** Wrap a channel's work so every outcome, thrown or not, is an IpcResult. */
function handler<C extends ChannelName, T>(channel: C, run: (input: Input<C>) => T | Promise<T>): Handler {
  return async (payload) => {
    try {
      const input = validate(channel, payload);
      return { ok: true, value: await run(input) };
    } catch (err) {
      return failure(err);
    }
  };
}

export function createIpcHandlers(deps: Partial<HandlerDeps> = {}): Record<ChannelName, Handler> {
  const d: HandlerDeps = {
    appInfo: deps.appInfo ?? (() => ({ name: 'tuf-ceremony', version: 'development' })),
    inspectNamedFiles: deps.inspectNamedFiles ?? inspectNamedFiles,
    tokens: deps.tokens ?? defaultTokenDeps(),
    ceremony: deps.ceremony ?? new CeremonySession(defaultCeremonyDeps({ modules: (deps.tokens ?? defaultTokenDeps()).modules })),
  };
  const c = d.ceremony;
  return {
    [CHANNELS.appInfo]: handler(CHANNELS.appInfo, (): AppInfo => {
      const { name, version } = d.appInfo();
      // offline: every network request is cancelled (security-policy.ts isRequestAllowed);
      // testBridge: this is the real IPC path, never the end-to-end tests' loopback bridge.
      return { name, version, offline: true, testBridge: false };
    }),
    [CHANNELS.inspectFiles]: handler(CHANNELS.inspectFiles, (req): Inspection => {
      // Built afresh from the parsed data: the core never sees a field the schema did not name, and the
      // renderer cannot choose the clock (`now`) that expiry is judged by.
      const core: Parameters<HandlerDeps['inspectNamedFiles']>[0] = { files: req.files.map((f) => ({ name: f.name, bytes: f.bytes })) };
      if (req.trustedRoot) core.trustedRoot = { name: req.trustedRoot.name, bytes: req.trustedRoot.bytes };
      if (req.directory !== undefined) core.directory = req.directory;
      if (req.source !== undefined) core.source = req.source;
      return d.inspectNamedFiles(core);
    }),
    [CHANNELS.tokensList]: handler(CHANNELS.tokensList, (req): Promise<TokenModuleView> => listTokens({ module: req.module }, d.tokens)),
    [CHANNELS.tokensCheck]: handler(CHANNELS.tokensCheck, (req): Promise<TokensCheckResult> => checkToken({ module: req.module, token: req.token, expected: req.expected }, d.tokens)),
    [CHANNELS.tokensGenerateKey]: handler(CHANNELS.tokensGenerateKey, (req): Promise<GeneratedKeyView> => {
      // The PIN becomes bytes here and the parsed request lets go of the string (a JS string cannot be
      // wiped); generateKey zeroes the bytes after the login, whatever happens.
      const pin = pinBytes(req.pin);
      const { module, token, expected, algorithm, keyLabel, keyId } = req;
      (req as { pin?: string }).pin = undefined;
      return generateKey({ module, token, expected, algorithm, keyLabel, keyId, pin }, d.tokens);
    }),
    [CHANNELS.ceremonyLoad]: handler(CHANNELS.ceremonyLoad, (req): Promise<CeremonyStatusView> => {
      const inputs = req.inputs?.map((f) => ({ name: f.name, bytes: f.bytes }));
      return c.load({ plan: { name: req.plan.name, bytes: req.plan.bytes }, bindings: { name: req.bindings.name, bytes: req.bindings.bytes }, ...(inputs ? { inputs } : {}) });
    }),
    [CHANNELS.ceremonyRehearse]: handler(CHANNELS.ceremonyRehearse, (req): Promise<CeremonyStatusView> =>
      c.rehearse({ profile: req.profile, repository: req.repository, ...(req.timestampKey ? { timestampKey: { name: req.timestampKey.name, bytes: req.timestampKey.bytes } } : {}) }),
    ),
    [CHANNELS.ceremonyStart]: handler(CHANNELS.ceremonyStart, (): Promise<CeremonyStatusView> => c.start()),
    [CHANNELS.ceremonyResume]: handler(CHANNELS.ceremonyResume, (): Promise<CeremonyStatusView> => c.resume()),
    [CHANNELS.ceremonyStatus]: handler(CHANNELS.ceremonyStatus, (): CeremonyStatusView => c.status()),
    [CHANNELS.ceremonyProvidePin]: handler(CHANNELS.ceremonyProvidePin, (req): CeremonyStatusView => {
      // As tokensGenerateKey: bytes at once, the string let go; the bytes go to one login, which zeroes them.
      const pin = pinBytes(req.pin);
      (req as { pin?: string }).pin = undefined;
      return c.providePin(req.requestId, pin);
    }),
    [CHANNELS.ceremonyCancelPin]: handler(CHANNELS.ceremonyCancelPin, (req): CeremonyStatusView => c.cancelPin(req.requestId)),
    [CHANNELS.ceremonyPrintShareCards]: handler(CHANNELS.ceremonyPrintShareCards, (): Promise<PrintResultView> => c.printShareCards()),
    [CHANNELS.transcriptVerify]: handler(CHANNELS.transcriptVerify, (req): TranscriptView => verifyTranscriptFile({ name: req.file.name, bytes: req.file.bytes }, req.expectedSealKey)),
  };
}
