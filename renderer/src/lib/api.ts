import type { IpcResult, TufCeremonyApi } from '../../../electron/shared/api-types.js';

/** A refusal as the screens show it: what the IPC contract returns for `{ ok: false }`. */
export type Refusal = Extract<IpcResult<unknown>, { ok: false }>;

/** The preload API, or undefined when the page runs without it (opened outside the app). */
export function ceremonyApi(): TufCeremonyApi | undefined {
  return window.tufCeremony;
}

export const NO_BRIDGE: Refusal = {
  ok: false,
  code: 'NOT_CONNECTED',
  message: 'This window is not connected to the tuf-ceremony core. Start it with the desktop app (npm start).',
};

/** Turn a rejected promise (a bug or a broken bridge, never a refusal) into something to show. */
export function unexpected(err: unknown): Refusal {
  const detail = err instanceof Error ? err.message : String(err);
  return { ok: false, code: 'INTERNAL', message: `The core did not answer as expected: ${detail}` };
}
