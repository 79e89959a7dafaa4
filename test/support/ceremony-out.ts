/**
 * Where a root ceremony's output of a given name is (src/ceremony/layout.ts): metadata in metadata/, share
 * cards and their pages in secret/, the journal and the transcript in state/; anything else (the plan, the
 * rehearsal's inputs and stage folders) at the top of the output folder. Tests name outputs by their file
 * names; this puts them in their folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METADATA_DIR, SECRET_DIR, STATE_DIR } from '../../src/ceremony/layout.js';

const STATE_NAMES = new Set(['ceremony-state.json', 'transcript.jsonl', 'transcript.html', 'key-inventory.json']);
const METADATA = /^(?:[1-9][0-9]*\.)?(?:root|targets|snapshot|timestamp)\.json$|^attestations\.json$/;

/** The folder (relative to the output folder) an output of this name is written in. */
export function folderOf(name: string): string {
  if (STATE_NAMES.has(name)) return STATE_DIR;
  if (name.startsWith('share-card')) return SECRET_DIR;
  if (METADATA.test(name) || name.startsWith('targets/')) return METADATA_DIR;
  return '';
}

/** The path of output `name` of the ceremony output folder `out`. */
export function outPath(out: string, name: string): string {
  const folder = folderOf(name);
  return folder ? join(out, folder, name) : join(out, name);
}

export function readOut(out: string, name: string): Uint8Array {
  return new Uint8Array(readFileSync(outPath(out, name)));
}

/** Every file under the output folder `out`, as paths relative to it ('metadata/root.json', …). */
export function outFiles(out: string): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(out, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else found.push(r);
    }
  };
  walk('');
  return found.sort();
}
