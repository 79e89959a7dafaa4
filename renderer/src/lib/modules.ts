/**
 * PKCS#11 module references as the screens hold them: a preset name, or the handle main issued for a
 * library file picked in main's own dialog (tokensChooseModule). The renderer never names a path: loading
 * a library runs its code in main (electron/main/module-choices.ts).
 */
import type { ModuleRef } from '../../../electron/shared/api-types.js';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from './api';

/** Two module references name the same module (a preset, or the same handle). */
export function sameModule(a: ModuleRef | undefined, b: ModuleRef | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return typeof a === 'string' || typeof b === 'string' ? a === b : a.chosen === b.chosen;
}

/** The library file picked in main's dialog: its handle, and its path to show. */
export type ChosenModule = { chosen: string; path: string };

/**
 * "Choose module file…": main opens its own file dialog and answers a handle (never the other way round:
 * the renderer cannot name a library for main to load). Undefined when cancelled; a refusal is returned.
 */
export async function chooseModuleFile(): Promise<{ chosen?: ChosenModule; refusal?: Refusal }> {
  const api = ceremonyApi();
  try {
    const r = api ? await api.tokensChooseModule() : NO_BRIDGE;
    if (!r.ok) return { refusal: r };
    return 'chosen' in r.value ? { chosen: { chosen: r.value.chosen, path: r.value.path } } : {};
  } catch (err) {
    return { refusal: unexpected(err) };
  }
}
