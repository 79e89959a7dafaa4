/**
 * Calling the handlers createIpcHandlers (electron/main/ipc-handlers.ts) returns, as the preload's
 * ipcRenderer.invoke would: the payload in, the `{ ok, value } | { ok: false, code, message }` result out.
 */
import type { Handler } from '../../electron/main/ipc-handlers.js';
import type { IpcResult } from '../../electron/shared/api-types.js';
import type { ChannelName } from '../../electron/shared/channels.js';

export async function call<T>(h: Record<ChannelName, Handler>, channel: ChannelName, payload: unknown): Promise<IpcResult<T>> {
  return (await h[channel](payload)) as IpcResult<T>;
}

/** The value of a call that must succeed; a refusal fails the test with its code and message. */
export async function ok<T>(h: Record<ChannelName, Handler>, channel: ChannelName, payload: unknown): Promise<T> {
  const r = await call<T>(h, channel, payload);
  if (!r.ok) throw new Error(`${channel} refused: ${r.code} ${r.message}`);
  return r.value;
}
