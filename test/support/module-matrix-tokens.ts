/**
 * The token cases of the module matrix (issue #11, acceptance), registered by one test file per module
 * (test/integration/modules-*.test.ts) so that each module runs in a process of its own: measured, a
 * process that loaded and finalised SoftHSM2 dies in opencryptoki's C_Finalize after a login (native
 * crash, vitest "Worker exited unexpectedly"), so the modules cannot share one process.
 *
 * Through the CLI as a custodian runs it (`runCli`, in-process: the module is loaded in this process and
 * finalised by each command), against the tokens made by the module's own tools (module-matrix.ts): the
 * listing (labels, serials — "not unique" where every token has the same one — and the software model
 * named), generation on the token chosen by serial and label and by label alone (the key read back
 * sensitive, not extractable), export for TUF and Notary (certificate made on the token, `openssl verify
 * -check_ss_sig`), a wrong PIN and the lockout message each module calls for.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile } from '../../src/profiles/index.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { applyEnv } from './daemons.js';
import { cli, json } from './matrix-cli.js';
import { CUSTODIANS, type MatrixModule } from './module-matrix.js';

const GUN = 'registry.example.com/matrix/app';
const ALGORITHM_FLAG = { 'ecdsa-p256': 'ecdsa-p256', 'rsa-pss-sha256': 'rsa-3072' } as const;

export function tokenCases(get: () => MatrixModule): void {
  describe('tokens', () => {
    let m: MatrixModule;
    let dir: string;
    let restorePins: () => void;
    const generated: Record<string, { fingerprint: string }> = {};

    beforeAll(() => {
      m = get();
      dir = mkdtempSync(join(tmpdir(), `tufc-tokens-${m.name}-`));
      restorePins = applyEnv(m.pinEnv);
    });

    afterAll(() => {
      restorePins?.();
      expect(TokenModule.isLoaded(m.modulePath)).toBe(false);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const tokenArgs = (c: (typeof CUSTODIANS)[number]) => ['--module', m.cliModule, '--token', m.tokens[c].serial, '--token-label', m.tokens[c].label];
    const flag = () => ALGORITHM_FLAG[m.keyAlgorithm as keyof typeof ALGORITHM_FLAG];

    it('tokens --json: the custodians’ tokens by label and serial, the serial flagged when not unique, the software model named', async () => {
      const listing = await json(['tokens', '--module', m.cliModule]);
      const mod = (listing.modules as { path: string; slots: { token: Record<string, unknown> | null }[] }[])[0]!;
      expect(mod.path).toBe(m.modulePath);
      const tokens = mod.slots.flatMap((s) => (s.token && s.token.initialized ? [s.token] : [])).sort((a, b) => String(a.label).localeCompare(String(b.label)));
      const expected = [...new Map(CUSTODIANS.map((c) => [m.tokens[c].label, [m.tokens[c].label, m.tokens[c].serial]])).values()];
      expect(tokens.map((t) => [t.label, t.serial])).toEqual(expected);
      for (const t of tokens) {
        expect(t.keyTypes, String(t.label)).toContain(m.keyAlgorithm);
        if (!m.ec) expect(t.keyTypes).not.toContain('ecdsa-p256');
        // Issue #11: "serial not unique on this module", and software tokens named as such.
        expect(t.serialUnique, String(t.label)).toBe(!m.sharedSerial);
        expect(String(t.software), String(t.label)).toMatch(m.softwareModel);
      }
      const human = await cli(['tokens', '--module', m.cliModule]);
      expect(human.status).toBe(0);
      if (m.sharedSerial) expect(human.out).toMatch(/serial not unique/i);
    });

    it('tokens generate on alice’s token (serial + label): a key made on the token, its signature verified; the private key reads back sensitive, not extractable, sign only', async () => {
      const g = await json(['tokens', 'generate', ...tokenArgs('alice'), '--algorithm', flag(), '--label', 'matrix-1', '--pin-env', m.tokens.alice.pinEnv]);
      expect(g).toMatchObject({ ok: true, token: { label: m.tokens.alice.label, serial: m.tokens.alice.serial }, label: 'matrix-1', algorithm: m.keyAlgorithm, selfTest: 'verified' });
      generated['matrix-1'] = { fingerprint: (g.fingerprint as { sha256: string }).sha256 };

      // Read back through the core: every key on the token is a signing key that cannot leave it.
      const mod = await TokenModule.load(m.modulePath);
      try {
        const s = await mod.openToken({ serial: m.tokens.alice.serial, label: m.tokens.alice.label });
        await s.login(m.tokens.alice.pin);
        const keys = await s.listKeys();
        expect(keys.map((k) => [k.label, k.sensitive, k.extractable, k.fingerprint])).toEqual([['matrix-1', true, false, generated['matrix-1'].fingerprint]]);
        await s.close();
      } finally {
        await mod.finalize();
      }
    });

    it('tokens generate with --token-label alone (no serial), on bob’s token', async () => {
      const g = await json(['tokens', 'generate', '--module', m.cliModule, '--token-label', m.tokens.bob.label, '--algorithm', flag(), '--label', 'matrix-bob', '--pin-env', m.tokens.bob.pinEnv]);
      expect(g).toMatchObject({ ok: true, token: { label: m.tokens.bob.label, serial: m.tokens.bob.serial }, selfTest: 'verified' });
    });

    it('a token named by a serial it shares but another token’s label is never opened as that token', async () => {
      // alice's serial with a label no token has: refused before any PIN (TOKEN_NOT_PRESENT, exit 3).
      const r = await cli(['tokens', 'generate', '--module', m.cliModule, '--token', m.tokens.alice.serial, '--token-label', 'mallory', '--algorithm', flag(), '--label', 'never', '--pin-env', m.tokens.alice.pinEnv]);
      expect(r.status).toBe(3);
      expect(r.err).toMatch(/^error\[TOKEN_NOT_PRESENT\]/);
    });

    it('tokens export: the TUF key (and for EC modules the Notary ecdsa-x509 root key, its certificate made on the token) with the fingerprint generate printed', async () => {
      const tufFile = join(dir, 'matrix-1.tuf.json');
      await json(['tokens', 'export', ...tokenArgs('alice'), '--label', 'matrix-1', '--out', tufFile]);
      const key = JSON.parse(readFileSync(tufFile, 'utf8'));
      expect(getProfile('tuf').parseKey(key, '$').fingerprint).toBe(generated['matrix-1']!.fingerprint);
      if (!m.ec) return;
      const out = join(dir, 'matrix-1.notary-x509.json');
      const x = await json(['tokens', 'export', ...tokenArgs('alice'), '--label', 'matrix-1', '--gun', GUN, '--pin-env', m.tokens.alice.pinEnv, '--out', out]);
      expect(x).toMatchObject({ profile: 'notary', keytype: 'ecdsa-x509', certificate: { subject: `CN=${GUN}` } });
      const pem = join(dir, 'matrix-1.pem');
      writeFileSync(pem, (x.certificate as { pem: string }).pem);
      expect(execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', pem, pem], { encoding: 'utf8' })).toContain(': OK');
      expect(getProfile('notary').parseKey(JSON.parse(readFileSync(out, 'utf8')), '$').fingerprint).toBe(generated['matrix-1']!.fingerprint);
    });

    it('a wrong PIN: exit 3, PIN_INCORRECT naming the token, no PIN in the output, no key made', async () => {
      const restore = applyEnv({ TUFC_MATRIX_WRONG_PIN: '99999999' });
      try {
        const r = await cli(['tokens', 'generate', ...tokenArgs('carol'), '--algorithm', flag(), '--label', 'never-made', '--pin-env', 'TUFC_MATRIX_WRONG_PIN']);
        expect(r.status).toBe(3);
        expect(r.err).toMatch(new RegExp(`^error\\[PIN_INCORRECT\\]: .*"${m.tokens.carol.label}"`));
        expect(r.out + r.err).not.toContain('99999999');
        if (m.lockout === 'tpm-da') {
          // Issue #11: the custodian is told the TPM counts wrong PINs for every token on it.
          expect(r.err).toMatch(/TPM/);
          expect(await m.lockoutCounter!()).toMatchObject({ counter: 1 });
        }
      } finally {
        restore();
        await m.clearLockout();
      }
      const mod = await TokenModule.load(m.modulePath);
      try {
        const s = await mod.openToken({ serial: m.tokens.carol.serial, label: m.tokens.carol.label });
        await s.login(m.tokens.carol.pin);
        expect((await s.listKeys()).map((k) => k.label)).not.toContain('never-made');
        await s.close();
      } finally {
        await mod.finalize();
      }
    });

    it('the lockout message fits the module (TPM: dictionary lockout, never PUK / SO PIN; token: SO unblock; SoftHSM2: never locks)', async () => {
      const restore = applyEnv({ TUFC_MATRIX_WRONG_PIN: '99999999' });
      let probes = 0;
      const attempt = (pinEnv: string) => cli(['tokens', 'generate', ...tokenArgs('dave'), '--algorithm', flag(), '--label', `lockout-probe-${++probes}`, '--pin-env', pinEnv]);
      try {
        for (let i = 0; i < 3; i++) expect((await attempt('TUFC_MATRIX_WRONG_PIN')).err).toMatch(/^error\[PIN_(INCORRECT|LOCKED)\]/);
        // The right PIN after three wrong ones.
        const after = await attempt(m.tokens.dave.pinEnv);
        if (m.lockout === 'never') {
          expect(after.status).toBe(0); // SoftHSM2 never locks a PIN (FIELD-NOTES)
          return;
        }
        expect(after.status).toBe(3);
        expect(after.err).toMatch(/^error\[PIN_LOCKED\]/);
        if (m.lockout === 'tpm-da') {
          expect(after.err).toMatch(/dictionary/i);
          expect(after.err).toMatch(/tpm2_dictionarylockout|lockout time|TPM owner/i);
          // Neither a PUK nor the SO PIN unlocks it: the message may name the SO PIN only to say so.
          expect(after.err).not.toMatch(/PUK/);
          expect(after.err.replace(/the SO PIN does not help/g, '')).not.toMatch(/SO PIN/);
        } else {
          expect(after.err).toMatch(/SO PIN|security officer/i);
          expect(after.err).not.toMatch(/PUK/);
        }
      } finally {
        restore();
        await m.clearLockout();
      }
      // Once cleared, the right PIN works again.
      expect((await attempt(m.tokens.dave.pinEnv)).status).toBe(0);
    });
  });
}
