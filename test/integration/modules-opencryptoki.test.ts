/**
 * The module matrix (issue #11, acceptance) on opencryptoki's soft token (own pkcsslotd): the token cases
 * (test/support/module-matrix-tokens.ts) and the ceremony cases (module-matrix-ceremony.ts), in a process
 * of their own — one module per file, see module-matrix-tokens.ts for why. One opencryptoki soft token,
 * Alice's: opencryptoki 3.8 keeps one login and one token store for all its soft tokens in a process
 * (opencryptoki.ts, opencryptoki-shared-login.test.ts), so in the ceremonies Bob's, Carol's and Dave's
 * tokens are on tpm2-pkcs11 (swtpm) — the site bindings name a module per custodian — with RSA-PSS keys
 * throughout; the Notary plan is refused at Alice's token (no EC) before any PIN is asked.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { startMatrixModule, type MatrixModule } from '../support/module-matrix.js';
import { ceremonyCases } from '../support/module-matrix-ceremony.js';
import { tokenCases } from '../support/module-matrix-tokens.js';

describe('opencryptoki', () => {
  let m: MatrixModule | undefined;
  /** Bob's, Carol's and Dave's tokens in the ceremonies: one process can use only one opencryptoki soft token. */
  let tpm: MatrixModule | undefined;
  beforeAll(async () => {
    m = await startMatrixModule('opencryptoki');
    tpm = await startMatrixModule('tpm2-pkcs11');
  }, 300_000);
  afterAll(async () => {
    await m?.stop();
    await tpm?.stop();
  }, 120_000);
  const get = (): MatrixModule => {
    if (!m) throw new Error('opencryptoki did not start');
    return m;
  };
  tokenCases(get);
  ceremonyCases(get, { hosts: () => ({ bob: tpm!, carol: tpm!, dave: tpm! }) });
});
