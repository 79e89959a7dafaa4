/**
 * Registers the channel handlers with ipcMain, each behind a sender check (Electron security checklist
 * #17: validate the sender of all IPC messages). Written against the narrow shapes it uses, so unit
 * tests drive it with plain objects.
 */
import { CeremonyError, toErrorShape } from '../../src/errors.js';
import { displaySafeValue, terminalSafe } from '../../src/json/fields.js';
import type { IpcResult } from '../shared/api-types.js';
import { CHANNELS, type ChannelName } from '../shared/channels.js';
import type { Handler } from './ipc-handlers.js';
import { isAllowedSender } from './security-policy.js';

/** The parts of IpcMainInvokeEvent the guard reads. */
export interface SenderEvent {
  senderFrame: { url: string; parent: unknown } | null;
}

export type GuardedHandler = (event: SenderEvent, ...args: unknown[]) => Promise<IpcResult<unknown>>;

export interface IpcMainLike {
  handle(channel: string, listener: GuardedHandler): void;
}

function refused(err: CeremonyError): IpcResult<never> {
  return { ok: false, ...toErrorShape(err) };
}

/**
 * Only the app's own top-level page may call; a call carries at most one argument (the payload), so a
 * renderer cannot smuggle extra arguments past the schema.
 */
export function guardHandler(channel: ChannelName, handler: Handler, appRendererUrl: string): GuardedHandler {
  return async (event, ...args) => {
    const frame = event.senderFrame;
    // senderFrame is null once the frame navigated away or was destroyed: refuse, never guess.
    if (!frame || frame.parent !== null || !isAllowedSender(frame.url, appRendererUrl)) {
      return refused(new CeremonyError('IPC_SENDER_REFUSED', `${channel}: the calling frame is not the app's own page`));
    }
    if (args.length > 1) {
      return refused(new CeremonyError('IPC_INVALID', `${channel}: expected at most one argument, got ${args.length}`, { path: '$' }));
    }
    try {
      // Every string the screen receives goes through the one display rule (src/json/fields.ts
      // displaySafeValue): names from foreign metadata show bidi, zero-width and C1 characters escaped.
      return displaySafeValue(await handler(args[0]));
    } catch (err) {
      const shape = toErrorShape(err);
      // A refusal's message is read, never sent back: escaped in place, as the CLI prints it (terminalSafe),
      // rather than quoted whole as a one-line name is.
      return { ...displaySafeValue({ ok: false as const, ...shape }), message: terminalSafe(shape.message) };
    }
  };
}

export function registerIpcHandlers(ipcMain: IpcMainLike, handlers: Record<ChannelName, Handler>, appRendererUrl: string): void {
  for (const channel of Object.values(CHANNELS)) {
    ipcMain.handle(channel, guardHandler(channel, handlers[channel], appRendererUrl));
  }
}
