/**
 * Every runbook in docs/runbooks/ is rehearsable (issue #16): the commands of its "```sh rehearse" block
 * run here, in order, through the CLI's own entry point, with `$R` a new folder — each must exit 0. A
 * runbook whose commands drift from the CLI fails here.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { captureIo } from '../support/cli-io.js';

const DIR = join(__dirname, '..', '..', 'docs', 'runbooks');
const scratch = mkdtempSync(join(tmpdir(), 'tufc-runbooks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function rehearseBlock(text: string): string[][] {
  const block = /```sh rehearse\n([\s\S]*?)```/.exec(text);
  if (!block) return [];
  return block[1]!
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/));
}

const runbooks = readdirSync(DIR)
  .filter((f) => f.endsWith('.md') && f !== 'README.md')
  .sort();

describe('runbooks: each one rehearsable with the commands it gives', () => {
  it('there are the four runbooks, each with a rehearse block starting with `tuf-ceremony rehearse`', () => {
    expect(runbooks).toEqual(['compromised-key.md', 'lost-token.md', 'recover-from-shamir.md', 'share-card.md']);
    for (const f of runbooks) {
      const cmds = rehearseBlock(readFileSync(join(DIR, f), 'utf8'));
      expect(cmds.length, f).toBeGreaterThanOrEqual(3);
      expect(cmds[0]!.slice(0, 2), f).toEqual(['tuf-ceremony', 'rehearse']);
    }
  });

  for (const f of runbooks) {
    it(
      f,
      async () => {
        const r = mkdtempSync(join(scratch, `${f.replace(/\.md$/, '')}-`));
        const out = join(r, 'rehearsal');
        for (const cmd of rehearseBlock(readFileSync(join(DIR, f), 'utf8'))) {
          expect(cmd[0]).toBe('tuf-ceremony');
          const args = cmd.slice(1).map((a) => a.replaceAll('$R', out));
          const io = captureIo();
          const status = await runCli(args, io.io);
          expect(status, `${cmd.join(' ')}\n${io.err.join('\n')}`).toBe(0);
        }
      },
      600_000,
    );
  }
});
