/**
 * The check test/support/tmpdir-guard.ts makes when a test file is done (the guard itself is proved by a
 * file that leaks: it fails naming what it left).
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftIn, removeCheckingEmpty } from '../../support/tmpdir-check.js';

describe('removeCheckingEmpty', () => {
  it('removes an empty folder without complaint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tufc-check-'));
    removeCheckingEmpty(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('names what was left (files, folders with their first entries), and removes it all anyway', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tufc-check-'));
    writeFileSync(join(dir, 'stray.json'), '{}');
    mkdirSync(join(dir, 'tufc-import-abc123', 'trust'), { recursive: true });
    mkdirSync(join(dir, 'empty'));
    expect(leftIn(dir).sort()).toEqual(['empty/', 'stray.json', 'tufc-import-abc123/ (trust)']);
    expect(() => removeCheckingEmpty(dir)).toThrow(/left 3 entries in its TMPDIR \(.*\): .*tufc-import-abc123\/ \(trust\)/);
    expect(existsSync(dir)).toBe(false);
  });

  it('stops listing at 20 entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tufc-check-'));
    for (let i = 0; i < 30; i++) writeFileSync(join(dir, `f${i}`), '');
    expect(leftIn(dir)).toHaveLength(20);
    expect(() => removeCheckingEmpty(dir)).toThrow(/left 20 or more entries/);
    expect(existsSync(dir)).toBe(false);
  });
});

it('each test file runs in a TMPDIR of its own, with a short path (UNIX socket paths under it stay short)', () => {
  expect(process.env.TMPDIR).toBe(tmpdir());
  expect(tmpdir()).toMatch(/\/t-[A-Za-z0-9]{6}\/f-[A-Za-z0-9]{6}$/);
  expect(tmpdir().length).toBeLessThanOrEqual(40);
});
