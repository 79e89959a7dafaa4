/**
 * One screen hands an outcome to the next (issue #16, on ceremony completion): "Export the metadata…"
 * prepares the ceremony's metadata/ folder in main and opens the Export screen with it already chosen.
 * The value is taken once by the screen that receives it (a later visit starts empty), and holds only
 * what main returned — never a path or a secret.
 */
import type { ExportPreparedView } from '../../../electron/shared/api-types.js';

let exportPrepared: ExportPreparedView | undefined;

/** Give the Export screen a bundle main has prepared, then go there. */
export function openExportWith(view: ExportPreparedView): void {
  exportPrepared = view;
  window.location.hash = '#/export';
}

/** The Export screen's first state: what was handed to it (read while rendering; cleared once shown). */
export function peekExportPrepared(): ExportPreparedView | undefined {
  return exportPrepared;
}

/** Called once the Export screen has shown it: a later visit starts empty. */
export function clearExportPrepared(): void {
  exportPrepared = undefined;
}
