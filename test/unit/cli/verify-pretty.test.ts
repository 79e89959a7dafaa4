/**
 * `verify` gives up the buffers of pretty-printed targets files (compacted in place, issue #18); a refusal
 * is still reported as the files as written earn it — code, path and character position — because the
 * input is read again and verified as read.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { runCli } from '../../../src/cli/program.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { prettyRepo } from '../../support/pretty.js';
import type { BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

/** The repository as a metadata folder, and its pin. */
function writeRepo(r: BuiltRepo): { dir: string; pin: string; targets: Uint8Array } {
  const dir = tmp('tufc-verify-pretty-');
  writeFileSync(join(dir, '1.root.json'), r.roots[0]!);
  writeFileSync(join(dir, 'root.json'), r.roots[0]!);
  writeFileSync(join(dir, 'timestamp.json'), r.timestamp);
  writeFileSync(join(dir, 'snapshot.json'), r.snapshot);
  writeFileSync(join(dir, 'targets.json'), r.targets);
  writeFileSync(join(dir, `${r.delegationName}.json`), r.delegated);
  const pin = join(tmp('tufc-verify-pin-'), 'pin.json');
  writeFileSync(pin, r.roots[0]!);
  return { dir, pin, targets: r.targets };
}

describe('verify on a pretty-printed repository', () => {
  it('verifies it, and leaves the files as they were', async () => {
    const r = await prettyRepo();
    const { dir, pin, targets } = writeRepo(r);
    const io = capture();
    expect(await runCli(['verify', dir, '--root', pin], io.io)).toBe(0);
    expect(io.out.join('\n')).toMatch(/targets +v1 +1 of 1 signatures/);
    expect(Buffer.from(readFileSync(join(dir, 'targets.json'))).equals(Buffer.from(targets))).toBe(true);
  });

  const refused: [string, (t: string) => string, string][] = [
    ['a float (its character position is the file’s, not the compact text’s)', (t) => t.replace('"length": 6', '"length": 6.0'), 'JSON_NUMBER_INVALID'],
    ['a duplicate key', (t) => t.replace('"length": 6', '"length": 6,\n    "length": 6'), 'JSON_DUPLICATE_KEY'],
    ['a string left open at the end', (t) => t.replace(/\}\s*$/, '"'), 'JSON_MALFORMED'],
  ];
  for (const [name, edit, code] of refused) {
    it(`refuses ${name} with the refusal the file as written earns`, async () => {
      const r = await prettyRepo(edit);
      const { dir, pin } = writeRepo(r);
      // The file's own refusal: what verifying the bytes as read (nothing given up) throws.
      let own: CeremonyError | undefined;
      try {
        verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() });
      } catch (err) {
        own = err as CeremonyError;
      }
      expect(own?.code).toBe(code);
      const io = capture();
      expect(await runCli(['verify', dir, '--root', pin], io.io)).toBe(1);
      expect(io.err[0]).toBe(`error[${code}]: ${own!.message}`);
    });
  }
});
