/**
 * The no-echo PIN prompt over a fake terminal: raw mode on while typing and off after, nothing typed is
 * written back, Backspace removes a whole UTF-8 character, Ctrl-U clears, Ctrl-C cancels, the keystroke
 * buffers are zeroed, and a stdin that is not a terminal is refused (USAGE).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { promptPinHidden } from '../../../src/cli/pin-prompt.js';

class FakeTty extends EventEmitter {
  isTTY = true;
  raw: boolean[] = [];
  paused = true;
  setRawMode(raw: boolean): this {
    this.raw.push(raw);
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
}

function typed(tty: FakeTty, ...chunks: (string | number[])[]): Buffer[] {
  const sent = chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c)));
  for (const b of sent) tty.emit('data', b);
  return sent;
}

describe('promptPinHidden', () => {
  it('reads up to Enter with echo off; writes only the question and a newline; zeroes the keystrokes', async () => {
    const tty = new FakeTty();
    const written: string[] = [];
    const p = promptPinHidden('PIN: ', tty, (s) => void written.push(s));
    const sent = typed(tty, '12', '34\r');
    const pin = await p;
    expect(new TextDecoder().decode(pin)).toBe('1234');
    expect(written).toEqual(['PIN: ', '\n']);
    expect(tty.raw).toEqual([true, false]);
    expect(tty.paused).toBe(true);
    expect(tty.listenerCount('data')).toBe(0);
    for (const b of sent) expect([...b].every((x) => x === 0)).toBe(true);
  });

  it('Backspace removes one character (all its UTF-8 bytes), Ctrl-U starts again, control characters are ignored', async () => {
    const tty = new FakeTty();
    const p = promptPinHidden('PIN: ', tty, () => undefined);
    typed(tty, 'xx', [0x15], 'aé', [0x7f], 'b', [0x09], 'ü\n');
    expect(new TextDecoder().decode(await p)).toBe('abü');
  });

  it('Ctrl-C cancels (USAGE) and restores the terminal; a stdin that is not a terminal is refused', async () => {
    const tty = new FakeTty();
    const p = promptPinHidden('PIN: ', tty, () => undefined);
    typed(tty, '12', [0x03]);
    await expect(p).rejects.toMatchObject({ code: 'USAGE', message: 'PIN entry cancelled' });
    expect(tty.raw).toEqual([true, false]);
    const pipe = Object.assign(new FakeTty(), { isTTY: false });
    await expect(promptPinHidden('PIN: ', pipe, () => undefined)).rejects.toMatchObject({ code: 'USAGE' });
    expect(pipe.raw).toEqual([]);
  });

  it('stdin closing before Enter is refused, not taken as a PIN', async () => {
    const tty = new FakeTty();
    const p = promptPinHidden('PIN: ', tty, () => undefined);
    typed(tty, '1234');
    tty.emit('end');
    await expect(p).rejects.toMatchObject({ code: 'USAGE' });
  });
});
