/** The verification material behind a `PublicKey`, kept out of the plain data object. */
import type { KeyObject } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import type { PublicKey } from './profile.js';

export interface KeyMaterial {
  keyObject: KeyObject;
  /** ECDSA coordinate bytes, RSA modulus bytes, 32 for Ed25519. */
  size: number;
}

const material = new WeakMap<PublicKey, KeyMaterial>();

export function attachMaterial<K extends PublicKey>(key: K, m: KeyMaterial): K {
  material.set(key, m);
  return key;
}

export function materialOf(key: PublicKey): KeyMaterial {
  const m = material.get(key);
  if (!m) throw new CeremonyError('INTERNAL', 'a public key was not decoded by a profile');
  return m;
}
