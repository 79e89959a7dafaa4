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
import type { AppInfo, Inspection, IpcResult, NamedFile } from '../shared/api-types.js';
import { CHANNELS, type ChannelName } from '../shared/channels.js';
import { firstProblem, REQUEST_SCHEMAS } from '../shared/schemas.js';

type Input<C extends ChannelName> = z.output<(typeof REQUEST_SCHEMAS)[C]>;

export type Handler = (payload: unknown) => Promise<IpcResult<unknown>>;

export interface HandlerDeps {
  /** Name and version of the running app (main passes app.getName() / app.getVersion()). */
  appInfo: () => { name: string; version: string };
  /** src/inspect/inspect.ts: sync, pure, throws CeremonyError. */
  inspectNamedFiles: (req: { files: NamedFile[]; trustedRoot?: NamedFile; directory?: boolean; source?: string; now?: Date }) => Inspection;
}

const DEFAULT_DEPS: HandlerDeps = {
  appInfo: () => ({ name: 'tuf-ceremony', version: 'development' }),
  inspectNamedFiles,
};

function failure(err: unknown): IpcResult<never> {
  return { ok: false, ...toErrorShape(err) };
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
  const d: HandlerDeps = { ...DEFAULT_DEPS, ...deps };
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
  };
}
