/**
 * PKCS#11 modules the renderer may name. Loading a module runs its code in this (main) process, so a
 * compromised renderer must not choose the library: it names either a preset (ykcs11, opensc, softhsm2 —
 * src/signers/pkcs11/presets.ts, resolved by main to known install paths) or `{ chosen: id }`, an opaque
 * handle this registry issued when the person picked a file in main's own file dialog. The path itself
 * never comes from the renderer.
 *
 * Handles are random (128 bits), few (the newest MAX_CHOICES) and expire CHOICE_TTL_MS after their last
 * use; an unknown or expired handle is MODULE_CHOICE_UNKNOWN ("choose the module file again").
 */
import { randomBytes } from 'node:crypto';
import { CeremonyError } from '../../src/errors.js';
import { isShownText } from '../../src/json/fields.js';
import type { ModulePresetName, ModuleRef, TokenModuleChoiceView } from '../shared/api-types.js';

/** Longest module path accepted (PATH_MAX on Linux). */
export const MAX_MODULE_PATH_LENGTH = 4096;
/** Handles kept at once: the Tokens, Rotation and Co-sign screens each need one or two. */
export const MAX_CHOICES = 16;
/** A handle unused this long is forgotten (a ceremony day, with room). */
export const CHOICE_TTL_MS = 12 * 60 * 60 * 1000;

const SHARED_LIBRARY = /\.(?:so(?:\.[0-9]+)*|dylib|dll)$/i;

/**
 * Why `path` (what main's file dialog answered) is not an acceptable PKCS#11 library path; undefined when
 * it is one: absolute, naming a shared library, no `.`/`..` segment, no control, bidirectional or invisible
 * character (the path is shown to the person afterwards).
 */
export function libraryPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'the module path is empty';
  if (path.length > MAX_MODULE_PATH_LENGTH) return `the module path is longer than ${MAX_MODULE_PATH_LENGTH} characters`;
  // src/json/fields.ts UNSHOWN_CHARS: the one list of characters that hide or reorder shown text.
  if (!isShownText(path)) return 'the module path contains a control, bidirectional or invisible character';
  const posix = path.startsWith('/') && !path.startsWith('//');
  const windows = /^[A-Za-z]:\\/.test(path);
  if (!posix && !windows) return 'the module path is not absolute';
  if (path.split(/[\\/]/).some((seg) => seg === '.' || seg === '..')) return 'the module path must not contain "." or ".." segments';
  if (!SHARED_LIBRARY.test(path)) return 'the chosen file is not a shared library (.so, .dylib or .dll)';
  return undefined;
}

export interface ModuleChoiceDeps {
  /** Main's file dialog (the e2e bridge: a configured path); undefined when the person cancelled. */
  chooseModuleFile: () => Promise<string | undefined>;
  now?: () => number;
  /** 32 lower-case hex digits; tests pass a fixed sequence. */
  newId?: () => string;
}

interface Choice {
  path: string;
  lastUsed: number;
}

export class ModuleChoices {
  private readonly choices = new Map<string, Choice>();
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly deps: ModuleChoiceDeps) {
    this.now = deps.now ?? (() => Date.now());
    this.newId = deps.newId ?? (() => randomBytes(16).toString('hex'));
  }

  /** Open the dialog; register the file picked and return its handle, or `{ cancelled: true }`. */
  async choose(): Promise<TokenModuleChoiceView> {
    const path = await this.deps.chooseModuleFile();
    if (path === undefined) return { cancelled: true };
    return this.register(path);
  }

  /** Issue a handle for `path` (a file main's dialog answered; tests register their fake library here). */
  register(path: string): { chosen: string; path: string } {
    const problem = libraryPathProblem(path);
    if (problem) throw new CeremonyError('TOKEN_MODULE_INVALID', `${problem}: choose the PKCS#11 library file (.so, .dylib or .dll)`);
    this.expire();
    // The same file chosen twice keeps one handle (a screen that chooses again gets the same one).
    for (const [id, c] of this.choices) {
      if (c.path === path) {
        c.lastUsed = this.now();
        return { chosen: id, path };
      }
    }
    const id = this.newId();
    this.choices.set(id, { path, lastUsed: this.now() });
    // Oldest first in a Map: drop the least recently registered beyond the cap.
    while (this.choices.size > MAX_CHOICES) this.choices.delete(this.choices.keys().next().value!);
    return { chosen: id, path };
  }

  /** True when `path` is a file main's dialog answered (and its handle has not expired). */
  isChosenPath(path: string): boolean {
    this.expire();
    for (const c of this.choices.values()) if (c.path === path) return true;
    return false;
  }

  /** The preset name or library path `ref` stands for (src/signers/token-keys.ts resolveModule takes either). */
  resolve(ref: ModuleRef): ModulePresetName | string {
    if (typeof ref === 'string') return ref;
    this.expire();
    const c = this.choices.get(ref.chosen);
    if (!c) throw new CeremonyError('MODULE_CHOICE_UNKNOWN', 'the chosen PKCS#11 module is not known to the app (it was chosen too long ago, or never): choose the module file again', { path: '$.module.chosen' });
    c.lastUsed = this.now();
    return c.path;
  }

  private expire(): void {
    const now = this.now();
    for (const [id, c] of this.choices) if (now - c.lastUsed > CHOICE_TTL_MS) this.choices.delete(id);
  }
}
