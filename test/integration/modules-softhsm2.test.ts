/**
 * The module matrix (issue #11, acceptance) on SoftHSM2: the token cases
 * (test/support/module-matrix-tokens.ts) and the ceremony cases (module-matrix-ceremony.ts), in a process
 * of their own — one module per file, see module-matrix-tokens.ts for why.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { startMatrixModule, type MatrixModule } from '../support/module-matrix.js';
import { ceremonyCases } from '../support/module-matrix-ceremony.js';
import { tokenCases } from '../support/module-matrix-tokens.js';

describe('softhsm2', () => {
  let m: MatrixModule | undefined;
  beforeAll(async () => {
    m = await startMatrixModule('softhsm2');
  }, 240_000);
  afterAll(async () => {
    await m?.stop();
  }, 120_000);
  const get = (): MatrixModule => {
    if (!m) throw new Error('softhsm2 did not start');
    return m;
  };
  tokenCases(get);
  ceremonyCases(get);
});
