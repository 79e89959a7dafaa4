/** The benchmark repository's files, read into memory (shared by both sides and the one-shot script). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchFiles {
  roots: Map<number, Uint8Array>;
  rootJson: Uint8Array;
  timestamp: Uint8Array;
  snapshot: Uint8Array;
  targets: Uint8Array;
  newest: number;
}

export function loadFiles(dir: string, rootVersions: number): BenchFiles {
  const roots = new Map<number, Uint8Array>();
  for (let v = 1; v <= rootVersions; v++) roots.set(v, new Uint8Array(readFileSync(join(dir, `${v}.root.json`))));
  const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
  return { roots, rootJson: read('root.json'), timestamp: read('timestamp.json'), snapshot: read('snapshot.json'), targets: read('targets.json'), newest: rootVersions };
}

