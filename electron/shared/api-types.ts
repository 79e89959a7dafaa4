/**
 * The IPC contract between the renderer and the main process, as types only: the renderer imports this
 * file (type-only), the preload and main import it too. Channel names and zod schemas live beside it in
 * `channels.ts` and `schemas.ts` (values, so the renderer never imports them).
 *
 * Errors cross IPC as data (STYLE.md "Errors"): prototypes do not cross processes.
 */
import type { Inspection } from '../../src/inspect/types.js';

export type { Inspection, KeyView, RoleView, RoleKind } from '../../src/inspect/types.js';

export type IpcResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string; path?: string };

/** A file the user picked in the renderer (`<input type="file">`): relative name and its bytes. */
export interface NamedFile {
  /** Relative path inside what was opened, `/`-separated: `root.json`, `targets/releases.json`. */
  name: string;
  bytes: Uint8Array;
}

export interface InspectRequest {
  /** One metadata file, or the files of a metadata directory. */
  files: NamedFile[];
  /** Optional pinned root to verify the whole input against. */
  trustedRoot?: NamedFile;
  /** True when `files` are a folder's content (even a folder holding one file). */
  directory?: boolean;
  /** The folder or file name to show (a base name, never a path). */
  source?: string;
}

export interface AppInfo {
  name: string;
  version: string;
  /** Always true: the app refuses every network request. */
  offline: true;
  /** True when the API is served by the test-only loopback bridge (never in a packaged build). */
  testBridge: boolean;
}

/** What the preload exposes as `window.tufCeremony`: narrow typed functions, never ipcRenderer. */
export interface TufCeremonyApi {
  appInfo(): Promise<IpcResult<AppInfo>>;
  inspectFiles(request: InspectRequest): Promise<IpcResult<Inspection>>;
}
