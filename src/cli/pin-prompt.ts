/**
 * Asking a PIN on the terminal without echo (PRODUCT.md §1: a custodian never sees a PIN echoed): the
 * question goes to stderr (stdout may be --json), stdin is put in raw mode so nothing typed is shown, and
 * the answer comes back as UTF-8 bytes for the token layer, which zeroes them after the login. The buffers
 * that held keystrokes are zeroed here. Enter ends the PIN; Backspace removes one character (a whole UTF-8
 * sequence); Ctrl-U clears; Ctrl-C or Ctrl-D cancels (USAGE).
 *
 * Order matters (review 15b M1): echo goes off *before* the question is written, so a PIN typed the instant
 * the prompt shows is never echoed; and whatever was typed before the prompt (typed ahead while the
 * previous custodian's login or the token check ran) is read and thrown away unseen and uncounted, never
 * taken as the PIN — the custodian is told to type it after the prompt. What the terminal echoed while it
 * was still in cooked mode, before this function ran, cannot be taken back; discarding it at least keeps a
 * PIN shown on the screen from also being used.
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

/** Said (on its own line, before the question) when input typed before the prompt was thrown away. */
export const TYPED_AHEAD_NOTE = 'input typed before the prompt was discarded (it was not used): type it after the prompt\n';

/**
 * How long input is read and discarded, echo already off, before the question is written. Bytes waiting in
 * the terminal's buffer arrive on the first poll after reading starts; the wait ends with a setImmediate,
 * which runs after a poll phase, so a busy event loop cannot fire the timer before that read.
 */
const SETTLE_MS = 50;

/** Read one PIN from `input` (process.stdin by default) with echo off; the question is written to `write`. */
export function promptPinHidden(question: string, input: PinTerminal = process.stdin, write: (s: string) => void = (s) => guardedStderr().write(s)): Promise<Uint8Array> {
  if (!input.isTTY || !input.setRawMode) return Promise.reject(new CeremonyError('USAGE', 'a PIN can only be asked on a terminal'));
  return new Promise((resolvePin, reject) => {
    const typed: number[] = [];
    /** False until the question is on the screen: bytes read before that were typed ahead and are dropped. */
    let open = false;
    let discarded = false;
    let done = false;
    const wipe = (): void => {
      typed.fill(0);
      typed.length = 0;
    };
    const finish = (): void => {
      done = true;
      clearTimeout(settle);
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
        if (!open) {
          // Typed ahead: never looked at beyond a Ctrl-C / Ctrl-D, which still cancels.
          if (chunk.includes(0x03) || chunk.includes(0x04)) {
            finish();
            wipe();
            reject(new CeremonyError('USAGE', 'PIN entry cancelled'));
            return;
          }
          discarded = true;
          return;
        }
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
    // Echo off first, then drain what is already waiting, then the question (M1).
    // (The timer is made before any listener, so finish() can always clear it.)
    input.setRawMode!(true);
    const settle = setTimeout(() => {
      setImmediate(() => {
        if (done) return;
        if (discarded) write(TYPED_AHEAD_NOTE);
        open = true;
        write(question);
      });
    }, SETTLE_MS);
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
