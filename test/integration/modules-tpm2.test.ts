/**
 * The module matrix (issue #11, acceptance) on tpm2-pkcs11 over swtpm (+ tpm2-abrmd on a private D-Bus): the token cases
 * (test/support/module-matrix-tokens.ts) and the ceremony cases (module-matrix-ceremony.ts), in a process
 * of their own — one module per file, see module-matrix-tokens.ts for why.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { startMatrixModule, type MatrixModule } from '../support/module-matrix.js';
import { ceremonyCases } from '../support/module-matrix-ceremony.js';
import { tokenCases } from '../support/module-matrix-tokens.js';

describe('tpm2-pkcs11', () => {
  let m: MatrixModule | undefined;
  beforeAll(async () => {
    m = await startMatrixModule('tpm2-pkcs11');
  }, 240_000);
  afterAll(async () => {
    await m?.stop();
  }, 120_000);
  const get = (): MatrixModule => {
    if (!m) throw new Error('tpm2-pkcs11 did not start');
    return m;
  };
  tokenCases(get);
  ceremonyCases(get);
});
