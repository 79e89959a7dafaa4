/**
 * A yes/no question on the terminal (stderr, so --json on stdout stays clean): "y" or "yes" is yes,
 * anything else — Enter, end of input — is no. Used where a custodian confirms something the tool
 * proposes (a YubiKey PIV slot the bindings did not name).
 */
import { createInterface } from 'node:readline';
import { CeremonyError } from '../errors.js';
import { guardedStderr } from './output.js';

export function askYesNo(question: string, input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin): Promise<boolean> {
  if (!input.isTTY) return Promise.reject(new CeremonyError('USAGE', 'a confirmation can only be asked on a terminal'));
  const rl = createInterface({ input, terminal: false });
  return new Promise((resolve) => {
    let answered = false;
    guardedStderr().write(`${question} [y/N] `);
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(/^\s*y(es)?\s*$/i.test(line));
    });
    rl.once('close', () => {
      if (!answered) resolve(false);
    });
  });
}
