import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { Handler } from '../../../electron/main/ipc-handlers.js';
import { guardHandler, registerIpcHandlers, type GuardedHandler, type SenderEvent } from '../../../electron/main/ipc-register.js';
import { CHANNELS, type ChannelName } from '../../../electron/shared/channels.js';

const APP_URL = pathToFileURL(join('/opt/app/dist/renderer', 'index.html')).href;
const top = (url: string): SenderEvent => ({ senderFrame: { url, parent: null } });

function recordingHandler(): Handler & ReturnType<typeof vi.fn> {
  return vi.fn(async (payload: unknown) => ({ ok: true as const, value: payload })) as never;
}

describe('guardHandler', () => {
  it('passes the one payload of a call from the app page to the handler', async () => {
    const h = recordingHandler();
    const guarded = guardHandler(CHANNELS.inspectFiles, h, APP_URL);
    expect(await guarded(top(`${APP_URL}#/inspect`), { files: [] })).toEqual({ ok: true, value: { files: [] } });
    expect(await guarded(top(APP_URL))).toEqual({ ok: true, value: undefined });
    expect(h).toHaveBeenCalledTimes(2);
  });

  const refusedSenders: [string, SenderEvent][] = [
    ['no sender frame (destroyed or navigated away)', { senderFrame: null }],
    ['a remote page', top('https://evil.example/')],
    ['another local file', top('file:///tmp/index.html')],
    ['a sub-frame at the app URL', { senderFrame: { url: APP_URL, parent: {} } }],
    ['an empty URL', top('')],
  ];

  it.each(refusedSenders)('refuses %s with IPC_SENDER_REFUSED and never calls the handler', async (_what, event) => {
    const h = recordingHandler();
    const r = await guardHandler(CHANNELS.appInfo, h, APP_URL)(event);
    expect(r).toMatchObject({ ok: false, code: 'IPC_SENDER_REFUSED' });
    expect(h).not.toHaveBeenCalled();
  });

  it('refuses a call with more than one argument as IPC_INVALID', async () => {
    const h = recordingHandler();
    const r = await guardHandler(CHANNELS.inspectFiles, h, APP_URL)(top(APP_URL), { files: [] }, 'extra');
    expect(r).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$' });
    expect(h).not.toHaveBeenCalled();
  });

  it('turns a handler that throws into INTERNAL without its message', async () => {
    const h: Handler = async () => {
      throw new Error('boom with details');
    };
    const r = await guardHandler(CHANNELS.appInfo, h, APP_URL)(top(APP_URL));
    expect(r).toEqual({ ok: false, code: 'INTERNAL', message: 'unexpected internal error' });
  });
});

describe('registerIpcHandlers', () => {
  it('registers every channel exactly once, each guarded and bound to its own handler', async () => {
    const registered = new Map<string, GuardedHandler>();
    const ipcMain = {
      handle: vi.fn((channel: string, listener: GuardedHandler) => {
        expect(registered.has(channel)).toBe(false);
        registered.set(channel, listener);
      }),
    };
    const handlers = Object.fromEntries(
      Object.values(CHANNELS).map((ch) => [ch, vi.fn(async () => ({ ok: true as const, value: ch }))]),
    ) as unknown as Record<ChannelName, Handler>;
    registerIpcHandlers(ipcMain, handlers, APP_URL);
    expect([...registered.keys()].sort()).toEqual(Object.values(CHANNELS).sort());
    for (const [channel, listener] of registered) {
      expect(await listener(top(APP_URL))).toEqual({ ok: true, value: channel });
      expect(await listener(top('https://evil.example/'))).toMatchObject({ ok: false, code: 'IPC_SENDER_REFUSED' });
    }
  });
});
