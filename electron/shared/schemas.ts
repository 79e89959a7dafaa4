/**
 * zod schemas for every IPC channel's request payload: the renderer is treated as untrusted input
 * (Electron security checklist #17 validates *who* calls; this validates *what* they send). Objects are
 * strict (unknown fields refused, PRODUCT.md §6), sizes are capped before the core parses a byte.
 *
 * Values, not types: only electron/main imports this file (the renderer imports api-types.ts only).
 */
import { z } from 'zod';
import { capFor, DEFAULT_CAPS } from '../../src/tuf/caps.js';
import type { InspectRequest, NamedFile } from './api-types.js';
import { CHANNELS, type ChannelName } from './channels.js';

/** Longest accepted relative name, and longest single segment (common file-system limits). */
export const MAX_NAME_LENGTH = 1024;
export const MAX_SEGMENT_LENGTH = 255;
/** Files in one request: the core's cap on a metadata directory. */
export const MAX_FILES = DEFAULT_CAPS.files;
/**
 * All bytes in one request. Twice the largest per-file cap: room for a 100,000-entry targets file plus
 * a long root chain (PRODUCT.md §7) while bounding what one call can make the main process hold.
 */
export const MAX_TOTAL_BYTES = 2 * DEFAULT_CAPS.targets;

// C0, DEL and C1 controls (NUL included), and bidi overrides/isolates: a name is shown to people, and
// U+202E can make `json.exe` read as `exe.json` ("Trojan Source", CVE-2021-42574).
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Why `name` is not an acceptable relative, `/`-separated file name; undefined when it is. */
export function fileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'file name is empty';
  if (name.length > MAX_NAME_LENGTH) return `file name is longer than ${MAX_NAME_LENGTH} characters`;
  if (FORBIDDEN_CHARS.test(name)) return 'file name contains a control or bidirectional-override character';
  if (name.includes('\\')) return 'file name must use "/" as its separator, not "\\"';
  if (name.startsWith('/')) return 'file name must be relative, not absolute';
  if (/^[A-Za-z]:/.test(name)) return 'file name must be relative, not a drive path';
  for (const segment of name.split('/')) {
    if (segment === '') return 'file name has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'file name must not contain "." or ".." segments';
    if (segment.length > MAX_SEGMENT_LENGTH) return `file name has a segment longer than ${MAX_SEGMENT_LENGTH} characters`;
  }
  return undefined;
}

/**
 * The role whose size cap applies to a file, from its name: `root.json` and `3.root.json` → root,
 * `timestamp.json` → timestamp, anything nested or unknown → delegated (src/tuf/caps.ts capFor).
 */
export function roleForName(name: string): string {
  if (name.includes('/')) return 'delegated';
  const base = name.replace(/\.json$/, '');
  const versioned = /^[0-9]+\.(.+)$/.exec(base);
  return versioned ? versioned[1]! : base;
}

export function sizeCapForName(name: string): number {
  return capFor(DEFAULT_CAPS, roleForName(name));
}

const fileName = z.string().superRefine((name, ctx) => {
  const problem = fileNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const NamedFileSchema = z
  .strictObject({
    name: fileName,
    bytes: z.instanceof(Uint8Array, { message: 'bytes must be a Uint8Array' }),
  })
  .superRefine((file, ctx) => {
    const cap = sizeCapForName(file.name);
    if (file.bytes.byteLength > cap) {
      ctx.addIssue({ code: 'custom', path: ['bytes'], message: `file is ${file.bytes.byteLength} bytes, above the ${cap}-byte cap for its role` });
    }
  });

const fileList = z
  .array(z.unknown())
  .min(1, { message: 'at least one file is required' })
  .max(MAX_FILES, { message: `more than ${MAX_FILES} files` })
  // The cheap length check runs first: no per-element work for an oversized list.
  .pipe(z.array(NamedFileSchema))
  .superRefine((files, ctx) => {
    const seen = new Set<string>();
    let total = 0;
    files.forEach((file, i) => {
      if (seen.has(file.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'file name appears twice' });
      seen.add(file.name);
      total += file.bytes.byteLength;
    });
    if (total > MAX_TOTAL_BYTES) ctx.addIssue({ code: 'custom', message: `files total ${total} bytes, above the ${MAX_TOTAL_BYTES}-byte cap` });
  });

const baseName = z.string().superRefine((name, ctx) => {
  const problem = fileNameProblem(name) ?? (name.includes('/') ? 'must be a base name, without "/"' : undefined);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const InspectRequestSchema = z.strictObject({
  files: fileList,
  trustedRoot: NamedFileSchema.optional(),
  directory: z.boolean().optional(),
  source: baseName.optional(),
});

/** appInfo takes no argument at all. */
export const AppInfoRequestSchema = z.undefined();

/** One schema per channel; a channel without a schema does not type-check. */
export const REQUEST_SCHEMAS = {
  [CHANNELS.appInfo]: AppInfoRequestSchema,
  [CHANNELS.inspectFiles]: InspectRequestSchema,
} as const satisfies Record<ChannelName, z.ZodType>;

// The schemas and the contract in api-types.ts must describe the same fields, and what a schema lets
// through must be what the contract promises (zod narrows Uint8Array's buffer to ArrayBuffer, hence
// one-way assignability plus equal key sets rather than type equality).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
type Fits<A, B> = [A] extends [B] ? true : never;
const _inspectFits: Fits<z.infer<typeof InspectRequestSchema>, InspectRequest> = true;
const _inspectKeys: Same<keyof z.infer<typeof InspectRequestSchema>, keyof InspectRequest> = true;
const _fileFits: Fits<z.infer<typeof NamedFileSchema>, NamedFile> = true;
const _fileKeys: Same<keyof z.infer<typeof NamedFileSchema>, keyof NamedFile> = true;

/** `$.files[0].name` style path (RFC 9535 normalized-path spelling) from zod's path segments. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = '$';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(String(seg).slice(0, 64))}]`;
  }
  return out;
}

export interface PayloadProblem {
  path: string;
  message: string;
}

/** The first problem zod found, with a path that names the offending field (for unknown fields, the field itself). */
export function firstProblem(error: z.ZodError): PayloadProblem {
  const issue = error.issues[0];
  if (!issue) return { path: '$', message: 'payload refused' };
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return { path: jsonPath([...issue.path, key]), message: 'unknown field' };
  }
  return { path: jsonPath(issue.path), message: issue.message };
}
