/** A whole-number CLI option, checked like every number the CLI takes (USAGE otherwise). */
import { CeremonyError } from '../errors.js';

export function intOption(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,7}$/.test(text) || Number(text) < min || Number(text) > max) throw new CeremonyError('USAGE', `${name} must be a whole number from ${min} to ${max}`);
  return Number(text);
}
