/**
 * The PIN prompt in a real pseudo-terminal (review 15b M1, after the reviewer's prompt-echo.py): the
 * compiled promptPinHidden runs in a child whose stdin is a pty, after a one-second "previous step"; the
 * kernel's line discipline does the echoing, which a fake terminal cannot show. Typed ahead, the text is
 * not taken as the PIN and the custodian is told; typed the instant the prompt shows, the PIN is not
 * echoed. Needs python3's pty module and the build (npm test builds first); skipped without them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const compiled = fileURLToPath(new URL('../../../dist/src/cli/pin-prompt.js', import.meta.url));
const hasPty = spawnSync('python3', ['-c', 'import pty, select']).status === 0;

/** The pty side: argv = compiled module, mode (ahead | instant). Prints JSON {seen, status}. */
const HARNESS = String.raw`
import json, os, pty, select, sys, time
module, mode = sys.argv[1], sys.argv[2]
js = """
const { promptPinHidden } = await import(%s);
await new Promise((r) => setTimeout(r, 1000));
const pin = await promptPinHidden('PIN (not shown): ');
process.stdout.write('got [' + new TextDecoder().decode(pin) + ']\\n');
process.exit(0);
""" % json.dumps('file://' + module)
pid, fd = pty.fork()
if pid == 0:
    os.execvp('node', ['node', '--input-type=module', '-e', js])
seen = b''; answered = False; deadline = time.time() + 20
if mode == 'ahead':
    time.sleep(0.5); os.write(fd, b'Typed-Ahead-999\r')
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if not r: continue
    try: c = os.read(fd, 4096)
    except OSError: break
    if not c: break
    seen += c
    if not answered and b'PIN (not shown): ' in seen:
        os.write(fd, b'Secret-PIN-1234\r'); answered = True
if time.time() >= deadline:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
print(json.dumps({'seen': seen.decode('utf-8', 'replace'), 'status': status}))
`;

function runInPty(mode: 'ahead' | 'instant'): { seen: string; status: number } {
  const r = spawnSync('python3', ['-c', HARNESS, compiled, mode], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { seen: string; status: number };
}

describe.skipIf(!hasPty || !existsSync(compiled))('promptPinHidden in a pty', () => {
  // The note as the build the child runs has it (not the sources', which may be newer than dist/).
  let TYPED_AHEAD_NOTE: string;
  beforeAll(async () => {
    ({ TYPED_AHEAD_NOTE } = (await import(pathToFileURL(compiled).href)) as { TYPED_AHEAD_NOTE: string });
  });

  it('typed ahead: not taken as the PIN, the custodian is told; the PIN typed after the prompt is not echoed', () => {
    const { seen, status } = runInPty('ahead');
    expect(status).toBe(0);
    expect(seen).toContain('got [Secret-PIN-1234]');
    expect(seen).not.toContain('got [Typed-Ahead-999');
    expect(seen).toContain(TYPED_AHEAD_NOTE.trim());
    expect(seen.split('got [')[0]).not.toContain('Secret-PIN-1234');
    // The note and the question come after the type-ahead the cooked terminal echoed (before the prompt ran).
    expect(seen.indexOf(TYPED_AHEAD_NOTE.trim())).toBeLessThan(seen.indexOf('PIN (not shown): '));
  }, 40_000);

  it('typed the instant the prompt shows: echo is already off (three runs: this was a race)', () => {
    for (let i = 0; i < 3; i++) {
      const { seen, status } = runInPty('instant');
      expect(status).toBe(0);
      expect(seen).toContain('got [Secret-PIN-1234]');
      expect(seen.split('got [')[0]).not.toContain('Secret-PIN-1234');
      expect(seen).not.toContain(TYPED_AHEAD_NOTE.trim());
    }
  }, 60_000);
});
