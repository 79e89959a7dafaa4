import { expect } from 'vitest';
import { CeremonyError } from '../../src/errors.js';

/** Run `fn`, which must refuse with a CeremonyError, and return that error for assertions on code and path. */
export function refusal(fn: () => unknown): CeremonyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}
