/**
 * The Import screen's install when a step after the swap's rename fails (IMPORT_INSTALLED_CLEANUP_FAILED):
 * the new tree IS installed, so main records the session transcript as the install it is — with an
 * `import.cleanup-failed` entry — never as "refused … nothing was installed" (as `import` on the command
 * line does, test/unit/cli/import-cleanup-failed.test.ts); the error the screen shows says installed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultImportDeps, ImportSession } from '../../../electron/main/transport-import.js';
import type { IpcResult } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { recordImportSession } from '../../../src/io/import-session-file.js';
import { nodeTrustDirFs } from '../../../src/io/trust-dir.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { faultyTrustDirFs } from '../../support/fs-faults.js';
import { bundleContent } from '../../support/trust-tree.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const enc = new TextEncoder();
const gun = 'registry.example.com/org/app-cleanup';
let repo: BuiltRepo;

beforeAll(async () => {
  repo = await buildRepo('notary', { gun });
}, 120_000);

describe('import session over IPC: installed, then a step after the swap failed', () => {
  it('the transcript records the install and the failure, never a refusal; the error says installed', async () => {
    const work = tmp('tufc-import-cleanup-ipc-');
    const trust = join(work, 'trust');
    mkdirSync(trust);
    let fault = false;
    const transcripts: string[] = [];
    const h = createIpcHandlers({
      importSession: new ImportSession(
        defaultImportDeps({
          chooseTrustDir: async () => trust,
          // The set-aside folder cannot be removed (EACCES) while `fault` is set.
          importRepository: (source, options) => importRepository(source, fault ? { ...options, trustDirFs: faultyTrustDirFs(nodeTrustDirFs(), (op, p) => (op === 'removeTree' && p.includes('.tuf-ceremony-previous-') ? 'EACCES' : undefined)) } : options),
          recordImportSession: async (...a) => {
            const record = await recordImportSession(...a);
            if ('path' in record) transcripts.push(record.path);
            return record;
          },
        }),
      ),
    });
    const call = async (channel: string, payload?: unknown) => (await h[channel as keyof typeof h](payload)) as IpcResult<unknown>;
    expect((await call(CHANNELS.importChooseTrustDir, { layout: 'notary' })).ok).toBe(true);
    const pins = { [gun]: createHash('sha256').update(repo.roots[0]!).digest('hex') };
    expect((await call(CHANNELS.importSetPin, { pinsFile: { name: 'pins.json', bytes: enc.encode(JSON.stringify(pins)) } })).ok).toBe(true);
    const bundle = { name: 'app.tufbundle', bytes: encodeBundle(bundleContent(repo, gun)) };
    expect((await call(CHANNELS.importInstall, { bundle })).ok).toBe(true);
    fault = true;
    const r = await call(CHANNELS.importInstall, { bundle });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('IMPORT_INSTALLED_CLEANUP_FAILED');
    expect(r.message).toContain('IS installed');
    expect(transcripts).toHaveLength(2);
    const text = readFileSync(transcripts[1]!, 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { step?: string; note?: string });
    expect(lines.map((l) => l.step)).toContain('import.install');
    expect(lines.at(-2)!.step).toBe('import.cleanup-failed');
    expect(lines.at(-1)!.note).toMatch(/^installed: .*\[IMPORT_INSTALLED_CLEANUP_FAILED\]/);
    expect(text).not.toMatch(/refused|nothing was installed/);
  }, 120_000);
});
