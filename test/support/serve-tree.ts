/**
 * Serve a hostable tree (src/repository-tree) as a static host would: every file under the folder at
 * `/PREFIX/<relative path>` through test/support/file-server.ts. `publish(dir)` copies another tree's files
 * over the served map (new names added, same names replaced) — what copying a new tree to a host does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { serveFiles, type Served } from './file-server.js';

export function treeFiles(dir: string, prefix = ''): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (sub: string): void => {
    for (const e of readdirSync(sub, { withFileTypes: true })) {
      const full = join(sub, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(`${prefix}/${relative(dir, full).split(sep).join('/')}`, new Uint8Array(readFileSync(full)));
    }
  };
  walk(dir);
  return out;
}

export interface ServedTree extends Served {
  publish(dir: string): void;
}

export async function serveTree(dir: string, prefix = ''): Promise<ServedTree> {
  const served = await serveFiles(treeFiles(dir, prefix));
  return {
    ...served,
    publish(next: string) {
      for (const [k, v] of treeFiles(next, prefix)) served.files.set(k, v);
    },
  };
}
