/**
 * The opencryptoki fact the module matrix is built around (test/support/opencryptoki.ts): Debian 12's
 * opencryptoki 3.8 keeps one login for every soft token of a process — after C_Login on one token, a second
 * token answers any PIN, right or wrong, with CKR_USER_ALREADY_LOGGED_IN — its PIN is no longer checked —
 * and a logout drops the first token's key handles. Bare graphene-pk11, in a process of its own. If a newer opencryptoki keeps
 * tokens apart, this test fails and the matrix can put all three custodians on opencryptoki tokens.
 */
import * as graphene from 'graphene-pk11';
import { expect, it } from 'vitest';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { startOpenCryptoki } from '../support/opencryptoki.js';

it('after a login on one opencryptoki soft token, another token takes any PIN as already logged in', async () => {
  const ock = await startOpenCryptoki([
    { label: 'shared-a', pin: '24681357', soPin: '13572468' },
    { label: 'shared-b', pin: '24681358', soPin: '13572468' },
  ]);
  try {
    const mod = graphene.Module.load(ock.modulePath, 'opencryptoki');
    mod.initialize({ flags: 2 /* CKF_OS_LOCKING_OK */ });
    try {
      const slots = mod.getSlots(true);
      const a = slots.items(0).open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      const b = slots.items(1).open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      // Before any login, b checks its PIN.
      expect(() => b.login('0000')).toThrow(/CKR_PIN_INCORRECT/);
      a.login('24681357');
      // After a's login, b is "already logged in" whatever PIN is given: its PIN is no longer checked.
      expect(() => b.login('0000')).toThrow(/CKR_USER_ALREADY_LOGGED_IN/);
      expect(() => b.login('24681358')).toThrow(/CKR_USER_ALREADY_LOGGED_IN/);
      a.logout();
      a.close();
      b.close();
    } finally {
      mod.finalize();
    }
  } finally {
    await ock.stop();
  }
});

it('our token layer does not take that for a login: a wrong PIN on the second token is refused', async () => {
  const ock = await startOpenCryptoki([
    { label: 'shared-a', pin: '24681357', soPin: '13572468' },
    { label: 'shared-b', pin: '24681358', soPin: '13572468' },
  ]);
  try {
    const mod = await TokenModule.load(ock.modulePath);
    try {
      const a = await mod.openToken({ label: 'shared-a' });
      await a.login('24681357');
      const b = await mod.openToken({ label: 'shared-b' });
      // A custodian's PIN must be checked by their own token: "already logged in" here is another token's login.
      // Neither a wrong PIN nor the right one can be checked while a's login is open: both refused, and a's
      // login is not ended (a logout would drop its key handles).
      await expect(b.login('99999999')).rejects.toMatchObject({ code: 'TOKEN_LOGIN_SHARED' });
      await expect(b.login('24681358')).rejects.toMatchObject({ code: 'TOKEN_LOGIN_SHARED' });
      expect(b.isLoggedIn).toBe(false);
      expect(a.isLoggedIn).toBe(true);
      expect(await a.listKeys()).toEqual([]);
      await b.close();
      await a.close();
    } finally {
      await mod.finalize();
    }
  } finally {
    await ock.stop();
  }
});
