/** One picked file as the IPC contract's NamedFile, refused before it is read when it is over `cap`. */
import type { NamedFile } from '../../../electron/shared/api-types.js';
import type { Refusal } from '../lib/api';

/** The core's caps (src/rotation/request.ts, payload.ts; electron/main/rotation.ts): main checks them again. */
export const CAPS = { request: 4 * 1024 * 1024, response: 256 * 1024, root: 1024 * 1024, key: 64 * 1024, transcript: 16 * 1024 * 1024 } as const;

export async function readPickedFile(input: HTMLInputElement, cap: number): Promise<NamedFile | Refusal | undefined> {
  const f = input.files?.[0];
  input.value = '';
  if (!f) return undefined;
  if (f.size > cap) return { ok: false, code: 'INPUT_TOO_LARGE', message: `${f.name} is ${f.size} bytes, over the cap of ${cap} for this kind of file`, path: f.name };
  return { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
}

export const isRefusal = (v: unknown): v is Refusal => typeof v === 'object' && v !== null && 'ok' in v && (v as { ok: unknown }).ok === false;
