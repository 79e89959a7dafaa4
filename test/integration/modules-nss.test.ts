/**
 * NSS softokn (issue #11, acceptance): the module loads with its start-up parameters (`--module-params`,
 * TokenModule.load `libraryParameters`) and generates a key on its database token; without the parameters
 * the refusal names them. A database of its own in a temp dir (test/support/nss-softokn.ts).
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
  it('loads with its start-up parameters (--module-params) and generates a P-256 key on "NSS Certificate DB"', async () => {
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

      const g = await json(['tokens', 'generate', ...base, '--token-label', NSS_DB_TOKEN_LABEL, '--algorithm', 'ecdsa-p256', '--label', 'nss-key', '--pin-env', 'TUFC_NSS_PIN']);
      expect(g).toMatchObject({ ok: true, token: { label: NSS_DB_TOKEN_LABEL }, algorithm: 'ecdsa-p256', selfTest: 'verified' });

      // Through the core: the same parameters load it, and the key is there, sensitive and not extractable.
      const mod = await TokenModule.load(db.modulePath, { libraryParameters: db.libraryParameters } as never);
      try {
        const s = await mod.openToken({ label: NSS_DB_TOKEN_LABEL });
        await s.login(db.pin);
        const keys = await s.listKeys();
        expect(keys.map((k) => [k.label, k.sensitive, k.extractable, k.fingerprint])).toEqual([['nss-key', true, false, (g.fingerprint as { sha256: string }).sha256]]);
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
