/**
 * Picked files → the IPC request's NamedFile list. Names are relative and `/`-separated, never full
 * paths: for a directory pick the top folder is dropped (`metadata/targets/releases.json` →
 * `targets/releases.json`), so the core sees the same names as when it reads the directory itself.
 */
import type { NamedFile } from '../../../electron/shared/api-types.js';
import type { Refusal } from './api';

/**
 * Read cap per file, before a byte is read into memory: the largest cap the core applies (64 MiB for a
 * targets file). The core re-checks each file against its own, per-role caps.
 */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Most files one directory may hold (the core's cap). */
export const MAX_FILES = 20_000;

export interface Picked {
  /** What the person opened, for the screen: the file name or the top folder's name. */
  label: string;
  files: NamedFile[];
  /** A folder was picked (so one file in it is still a directory, not a lone file). */
  directory: boolean;
}

/** `top/targets/releases.json` → `targets/releases.json`; a bare name stays as it is. */
export function relativeName(file: File, fromDirectory: boolean): string {
  const rel = fromDirectory && file.webkitRelativePath ? file.webkitRelativePath : file.name;
  const parts = rel.split('/').filter((p) => p.length > 0);
  return (fromDirectory && parts.length > 1 ? parts.slice(1) : parts).join('/');
}

function topFolder(files: File[]): string {
  const first = files[0]?.webkitRelativePath ?? '';
  return first.split('/')[0] || 'directory';
}

/**
 * A ceremony output folder (metadata/ beside state/ or secret/, src/ceremony/layout.ts): only its
 * metadata/ files are read, named relative to metadata/, so share cards never leave the disk for the
 * app's memory or its IPC. Undefined for any other folder.
 */
export function ceremonyMetadataFiles(files: readonly File[]): File[] | undefined {
  const under = (f: File, dir: string): boolean => relativeName(f, true).startsWith(`${dir}/`);
  const has = (dir: string): boolean => files.some((f) => under(f, dir));
  if (!has('metadata') || !(has('state') || has('secret'))) return undefined;
  return files.filter((f) => under(f, 'metadata'));
}

export async function readPicked(list: FileList | null, fromDirectory: boolean): Promise<Picked | Refusal | undefined> {
  let files = list ? Array.from(list) : [];
  if (files.length === 0) return undefined;
  const label = fromDirectory ? topFolder(files) : files[0]!.name;
  const metadataOnly = fromDirectory ? ceremonyMetadataFiles(files) : undefined;
  let strip = '';
  if (metadataOnly) {
    // The label stays the output folder's name: it names the repository of a TUF bundle (as `bundle create` does).
    files = metadataOnly;
    strip = 'metadata/';
  }
  if (files.length > MAX_FILES) {
    return { ok: false, code: 'INPUT_TOO_LARGE', message: `${label} holds ${files.length} files, more than the ${MAX_FILES} allowed`, path: label };
  }
  for (const f of files) {
    if (f.size > MAX_FILE_BYTES) {
      const name = relativeName(f, fromDirectory);
      return { ok: false, code: 'INPUT_TOO_LARGE', message: `${name} is ${f.size} bytes, over the cap of ${MAX_FILE_BYTES}`, path: name };
    }
  }
  const named = await Promise.all(files.map(async (f) => ({ name: relativeName(f, fromDirectory).slice(strip.length), bytes: new Uint8Array(await f.arrayBuffer()) })));
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { label, files: named, directory: fromDirectory };
}
