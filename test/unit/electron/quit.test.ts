/**
 * main's quit (electron/main/quit.ts): the ceremony session is closed before the PKCS#11 modules are
 * finalised, and a failure of one does not skip the other.
 */
import { describe, expect, it } from 'vitest';
import { releaseOnQuit } from '../../../electron/main/quit.js';

describe('releaseOnQuit', () => {
  it('closes the ceremony session, then finalises the modules', async () => {
    const order: string[] = [];
    const reported: string[] = [];
    await releaseOnQuit({ ceremony: { close: async () => void order.push('ceremony') }, modules: { finalizeAll: async () => void order.push('modules') } }, (what) => reported.push(what));
    expect(order).toEqual(['ceremony', 'modules']);
    expect(reported).toEqual([]);
  });

  it('a failure of either is reported and the other still runs; no session (quit before the window): modules only', async () => {
    const order: string[] = [];
    const reported: string[] = [];
    const fail = (what: string) => async () => {
      order.push(what);
      throw new Error(what);
    };
    await releaseOnQuit({ ceremony: { close: fail('ceremony') }, modules: { finalizeAll: fail('modules') } }, (what, err) => reported.push(`${what}: ${(err as Error).message}`));
    expect(order).toEqual(['ceremony', 'modules']);
    expect(reported).toEqual(['closing the ceremony session: ceremony', 'finalising PKCS#11 modules: modules']);
    order.length = 0;
    await releaseOnQuit({ ceremony: undefined, modules: { finalizeAll: async () => void order.push('modules') } }, () => undefined);
    expect(order).toEqual(['modules']);
  });

  it('a part that never answers is reported after the limit and the next still runs (the app quits)', async () => {
    const order: string[] = [];
    const reported: string[] = [];
    const started = Date.now();
    await releaseOnQuit({ ceremony: { close: () => new Promise<void>(() => order.push('ceremony')) }, modules: { finalizeAll: async () => void order.push('modules') } }, (what, err) => reported.push(`${what}: ${(err as Error).message}`), 50);
    expect(order).toEqual(['ceremony', 'modules']);
    expect(reported).toEqual(['closing the ceremony session: no answer after 50 ms']);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
