/**
 * test/support/temp-dirs.ts outside a vitest run: `npm run bench` imports test/support's harnesses
 * (bench/repositories.ts → swtpm.ts → notary.ts, which calls tempDirs() at its top level). Importing them
 * must work there, and a folder made through tempDirs is removed when the process exits.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(process.cwd(), 'dist', 'test', 'support');

describe('tempDirs outside vitest', () => {
  it.skipIf(!existsSync(join(dist, 'temp-dirs.js')))('the harnesses the bench imports load, and a folder made is removed at exit', () => {
    const script = `
      await import(${JSON.stringify(join(dist, 'swtpm.js'))});
      const { tempDirs } = await import(${JSON.stringify(join(dist, 'temp-dirs.js'))});
      const dir = tempDirs()('tufc-outside-');
      process.stdout.write(dir);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/tufc-outside-/);
    expect(existsSync(r.stdout)).toBe(false);
  });
});
