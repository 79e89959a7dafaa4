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

/**
 * `copy: false` (the one-shot script) keeps the Buffers readFileSync returns, as a script reading its files
 * would: copying the 30 MB targets file into fresh memory costs ≈ 0.1 s of CPU (page faults) that the
 * peer's process time must not carry. In-process the copy is outside the timed calls either way.
 */
export function loadFiles(dir: string, rootVersions: number, { copy = true }: { copy?: boolean } = {}): BenchFiles {
  const roots = new Map<number, Uint8Array>();
  const readPath = (path: string): Uint8Array => (copy ? new Uint8Array(readFileSync(path)) : readFileSync(path));
  for (let v = 1; v <= rootVersions; v++) roots.set(v, readPath(join(dir, `${v}.root.json`)));
  const read = (name: string) => readPath(join(dir, name));
  return { roots, rootJson: read('root.json'), timestamp: read('timestamp.json'), snapshot: read('snapshot.json'), targets: read('targets.json'), newest: rootVersions };
}

