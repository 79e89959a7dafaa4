/**
 * The tuf-js Updater on the benchmark's root chain (issue #18 asks for it beside @tufjs/models): client
 * workflow 5.3, pinned v1 → v1000, exactly as `Updater.refresh()` starts — each `N.root.json` fetched,
 * checked by TrustedMetadataStore.updateRoot and persisted to the metadata folder (a file write per root,
 * as the Updater always does). The fetcher serves the files already in memory: no network, no server.
 *
 * Only the chain: past it, refresh() reads targets.json with @tufjs/models 4.1.1's Targets.fromJSON, which
 * is quadratic in the number of targets (bench/sides.ts; ≈ 104 min at 100,000 entries), so a full refresh
 * measures that accident rather than the Updater. Its root update is the private `loadRoot()` that
 * refresh() calls first; it is called here directly (tuf-js has no public step for it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater, type Fetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import type { BenchFiles } from './files.js';

const BASE = 'https://bench.invalid/metadata';

/** Serves `N.root.json` from memory; anything else is a 404 (what ends the Updater's root walk). */
class MemoryFetcher implements Fetcher {
  constructor(private readonly f: BenchFiles) {}

  downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const m = /\/(\d+)\.root\.json$/.exec(url);
    const bytes = m ? this.f.roots.get(Number(m[1])) : undefined;
    if (!bytes) return Promise.reject(new DownloadHTTPError(`${url}: not found`, 404));
    if (bytes.length > maxLength) return Promise.reject(new Error(`${url}: over ${maxLength} bytes`));
    return Promise.resolve(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  downloadFile<T>(): Promise<T> {
    return Promise.reject(new Error('the chain benchmark downloads no target file'));
  }
}

/** The Updater's root update from the pinned v1 in a fresh metadata folder; the same summary as the other sides' chain scenario. */
export async function verifyUpdaterChain(f: BenchFiles): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tufc-bench-updater-'));
  try {
    writeFileSync(join(dir, 'root.json'), f.roots.get(1)!);
    const updater = new Updater({ metadataDir: dir, metadataBaseUrl: BASE, fetcher: new MemoryFetcher(f), config: { maxRootRotations: f.newest } });
    await (updater as unknown as { loadRoot(): Promise<void> }).loadRoot();
    const version = (updater as unknown as { trustedSet: { root: { signed: { version: number } } } }).trustedSet.root.signed.version;
    return `root v${version}, ${version - 1} steps, 0 targets`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
