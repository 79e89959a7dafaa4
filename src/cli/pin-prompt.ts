/**
 * Asking a PIN on the terminal without echo (PRODUCT.md §1: a custodian never sees a PIN echoed): the
 * question goes to stderr (stdout may be --json), stdin is put in raw mode so nothing typed is shown, and
 * the answer comes back as UTF-8 bytes for the token layer, which zeroes them after the login. The buffers
 * that held keystrokes are zeroed here. Enter ends the PIN; Backspace removes one character (a whole UTF-8
 * sequence); Ctrl-U clears; Ctrl-C or Ctrl-D cancels (USAGE).
 *
 * (src/cli/run.ts has an earlier copy of this as `promptHidden`; both should use this one.)
 */
import { CeremonyError } from '../errors.js';
import { guardedStderr } from './output.js';

export interface PinTerminal {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  off(event: 'data', fn: (chunk: Buffer) => void): unknown;
  off(event: 'end', fn: () => void): unknown;
}

/** Read one PIN from `input` (process.stdin by default) with echo off; the question is written to `write`. */
export function promptPinHidden(question: string, input: PinTerminal = process.stdin, write: (s: string) => void = (s) => guardedStderr().write(s)): Promise<Uint8Array> {
  if (!input.isTTY || !input.setRawMode) return Promise.reject(new CeremonyError('USAGE', 'a PIN can only be asked on a terminal'));
  write(question);
  return new Promise((resolvePin, reject) => {
    const typed: number[] = [];
    const wipe = (): void => {
      typed.fill(0);
      typed.length = 0;
    };
    const finish = (): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode!(false);
      input.pause();
      write('\n');
    };
    const onEnd = (): void => {
      finish();
      wipe();
      reject(new CeremonyError('USAGE', 'PIN entry ended before Enter'));
    };
    const onData = (chunk: Buffer): void => {
      try {
        for (const b of chunk) {
          if (b === 0x0d || b === 0x0a) {
            finish();
            const pin = Uint8Array.from(typed);
            wipe();
            resolvePin(pin);
            return;
          }
          if (b === 0x03 || b === 0x04) {
            finish();
            wipe();
            reject(new CeremonyError('USAGE', 'PIN entry cancelled'));
            return;
          }
          if (b === 0x15) {
            wipe(); // Ctrl-U: start again
          } else if (b === 0x7f || b === 0x08) {
            // Backspace: one character, i.e. continuation bytes (10xxxxxx) and their lead byte.
            while (typed.length && (typed[typed.length - 1]! & 0xc0) === 0x80) typed.pop();
            typed.pop();
          } else if (b >= 0x20) {
            typed.push(b);
          }
        }
      } finally {
        chunk.fill(0);
      }
    };
    input.setRawMode!(true);
    input.resume();
    input.on('data', onData);
    input.on('end', onEnd);
  });
}
