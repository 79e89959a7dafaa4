/**
 * The no-echo PIN prompt over a fake terminal: raw mode on while typing and off after, nothing typed is
 * written back, Backspace removes a whole UTF-8 character, Ctrl-U clears, Ctrl-C cancels, the keystroke
 * buffers are zeroed, and a stdin that is not a terminal is refused (USAGE). Review 15b M1: echo goes off
 * before the question is written, and what was typed before the question is discarded, unseen and
 * uncounted (the real terminal: pin-prompt-pty.test.ts).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { promptPinHidden, TYPED_AHEAD_NOTE } from '../../../src/cli/pin-prompt.js';

class FakeTty extends EventEmitter {
  isTTY = true;
  raw: boolean[] = [];
  paused = true;
  /** Every call in order, with what the prompt wrote (`write:`), to check the order of operations. */
  log: string[] = [];
  /** Bytes already waiting when reading starts (typed ahead): delivered on resume, as a tty would. */
  waiting: Buffer[] = [];
  setRawMode(raw: boolean): this {
    this.raw.push(raw);
    this.log.push(`raw:${raw}`);
    return this;
  }
  resume(): this {
    this.paused = false;
    this.log.push('resume');
    const waiting = this.waiting.splice(0);
    if (waiting.length) setTimeout(() => waiting.forEach((b) => this.emit('data', b)), 5);
    return this;
  }
  pause(): this {
    this.paused = true;
    this.log.push('pause');
    return this;
  }
  writer(): (s: string) => void {
    return (s) => void this.log.push(`write:${s}`);
  }
  written(): string[] {
    return this.log.filter((l) => l.startsWith('write:')).map((l) => l.slice('write:'.length));
  }
  /** Resolves once the question is on the screen: only then does a person type. */
  async shown(question = 'PIN: '): Promise<void> {
    await vi.waitFor(() => expect(this.written()).toContain(question));
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
    const p = promptPinHidden('PIN: ', tty, tty.writer());
    await tty.shown();
    const sent = typed(tty, '12', '34\r');
    const pin = await p;
    expect(new TextDecoder().decode(pin)).toBe('1234');
    expect(tty.written()).toEqual(['PIN: ', '\n']);
    expect(tty.raw).toEqual([true, false]);
    // Echo off before the question; restored after the answer.
    expect(tty.log).toEqual(['raw:true', 'resume', 'write:PIN: ', 'raw:false', 'pause', 'write:\n']);
    expect(tty.paused).toBe(true);
    expect(tty.listenerCount('data')).toBe(0);
    for (const b of sent) expect([...b].every((x) => x === 0)).toBe(true);
  });

  it('Backspace removes one character (all its UTF-8 bytes), Ctrl-U starts again, control characters are ignored', async () => {
    const tty = new FakeTty();
    const p = promptPinHidden('PIN: ', tty, tty.writer());
    await tty.shown();
    typed(tty, 'xx', [0x15], 'aé', [0x7f], 'b', [0x09], 'ü\n');
    expect(new TextDecoder().decode(await p)).toBe('abü');
  });

  it('Ctrl-C cancels (USAGE) and restores the terminal; a stdin that is not a terminal is refused', async () => {
    const tty = new FakeTty();
    const p = promptPinHidden('PIN: ', tty, tty.writer());
    await tty.shown();
    typed(tty, '12', [0x03]);
    await expect(p).rejects.toMatchObject({ code: 'USAGE', message: 'PIN entry cancelled' });
    expect(tty.raw).toEqual([true, false]);
    const pipe = Object.assign(new FakeTty(), { isTTY: false });
    await expect(promptPinHidden('PIN: ', pipe, () => undefined)).rejects.toMatchObject({ code: 'USAGE' });
    expect(pipe.raw).toEqual([]);
  });

  it('stdin closing before Enter is refused, not taken as a PIN', async () => {
    const tty = new FakeTty();
    const p = promptPinHidden('PIN: ', tty, tty.writer());
    await tty.shown();
    typed(tty, '1234');
    tty.emit('end');
    await expect(p).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('input typed before the question is discarded: not the PIN, not echoed, not counted; the custodian is told', async () => {
    const tty = new FakeTty();
    const ahead = [Buffer.from('0000\r'), Buffer.from('99')];
    tty.waiting.push(...ahead);
    // Typed even before the prompt function was called: arrives after raw mode is on (as a pty delivers it).
    const p = promptPinHidden('PIN: ', tty, tty.writer());
    await tty.shown();
    typed(tty, '1234\r');
    expect(new TextDecoder().decode(await p)).toBe('1234');
    expect(tty.written()).toEqual([TYPED_AHEAD_NOTE, 'PIN: ', '\n']);
    expect(tty.log.slice(0, 4)).toEqual(['raw:true', 'resume', `write:${TYPED_AHEAD_NOTE}`, 'write:PIN: ']);
    expect(tty.log.join('')).not.toMatch(/0000|99/);
    for (const b of ahead) expect([...b].every((x) => x === 0)).toBe(true);
  });

  it('typed ahead the same way, a Ctrl-C still cancels before any question is written', async () => {
    const tty = new FakeTty();
    tty.waiting.push(Buffer.from('12'), Buffer.from([0x03]));
    const p = promptPinHidden('PIN: ', tty, tty.writer());
    await expect(p).rejects.toMatchObject({ code: 'USAGE', message: 'PIN entry cancelled' });
    expect(tty.raw).toEqual([true, false]);
    expect(tty.written()).toEqual(['\n']);
    expect(tty.listenerCount('data')).toBe(0);
  });

  it('the question is not written once the entry has ended during the wait', async () => {
    const tty = new FakeTty();
    const p = promptPinHidden('PIN: ', tty, tty.writer());
    tty.emit('end');
    await expect(p).rejects.toMatchObject({ code: 'USAGE' });
    await new Promise((r) => setTimeout(r, 120));
    expect(tty.written()).toEqual(['\n']);
  });
});
