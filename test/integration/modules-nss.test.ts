/**
 * NSS softokn (issue #11, acceptance): the module loads with its start-up parameters (`--module-params`,
 * TokenModule.load `libraryParameters`) and generates a key pair on its database token — which the
 * non-extractability proof then refuses and destroys, since NSS lets that key be wrapped out; without the
 * parameters the refusal names them. A database of its own in a temp dir (test/support/nss-softokn.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { applyEnv } from '../support/daemons.js';
import { cli, json } from '../support/matrix-cli.js';
import { makeNssDb, NSS_DB_TOKEN_LABEL } from '../support/nss-softokn.js';

afterAll(() => {
  expect(TokenModule.isLoaded('/usr/lib/x86_64-linux-gnu/libsoftokn3.so')).toBe(false);
});

describe('NSS softokn', () => {
  it('loads with its start-up parameters (--module-params); a P-256 pair generated on "NSS Certificate DB" is refused as extractable and destroyed', async () => {
    const db = makeNssDb('nss-pass-1234');
    const restore = applyEnv({ TUFC_NSS_PIN: db.pin });
    try {
      const base = ['--module', db.modulePath, '--module-params', db.libraryParameters];
      // Without parameters the module refuses to start; the hint names them.
      const bare = await cli(['tokens', '--module', db.modulePath]);
      expect(bare.status).toBe(3);
      expect(bare.err).toMatch(/configdir/);
      expect(bare.err).not.toMatch(/SOFTHSM2_CONF/);

      const listing = await json(['tokens', ...base]);
      const tokens = (listing.modules as { slots: { token: Record<string, unknown> | null }[] }[])[0]!.slots.flatMap((s) => (s.token ? [s.token] : []));
      expect(tokens.map((t) => t.label)).toContain(NSS_DB_TOKEN_LABEL);
      expect(tokens.find((t) => t.label === NSS_DB_TOKEN_LABEL)).toMatchObject({ serial: '0000000000000000', serialUnique: false });

      // The module generates the pair, and our proof then wraps the private key out of it although it reads
      // back CKA_EXTRACTABLE=false (measured with bare graphene: NSS softokn 3.87 wraps such a key with
      // CKM_AES_KEY_WRAP_PAD and CKM_AES_CBC_PAD): the key is refused and destroyed, exit 3.
      const g = await cli(['tokens', 'generate', ...base, '--token-label', NSS_DB_TOKEN_LABEL, '--algorithm', 'ecdsa-p256', '--label', 'nss-key', '--pin-env', 'TUFC_NSS_PIN']);
      expect(g.status).toBe(3);
      expect(g.err).toMatch(/^error\[TOKEN_KEY_EXTRACTABLE\]: token "NSS Certificate DB" wrapped key "nss-key" out of the token/);
      expect(g.out + g.err).not.toContain(db.pin);

      // Through the core with the same parameters: the module loads, logs in, and no key is left behind.
      const mod = await TokenModule.load(db.modulePath, { libraryParameters: db.libraryParameters });
      try {
        const s = await mod.openToken({ label: NSS_DB_TOKEN_LABEL });
        await s.login(db.pin);
        expect((await s.listKeys()).map((k) => k.label)).toEqual([]);
        await s.close();
      } finally {
        await mod.finalize();
      }
    } finally {
      restore();
      await db.stop();
    }
  });
});
