import { CeremonyError } from '../errors.js';
import { notaryProfile } from './notary.js';
import type { Profile, ProfileName } from './profile.js';
import { tufProfile } from './tuf.js';

export type { Profile, ProfileName, PublicKey, SignatureJson } from './profile.js';

export function getProfile(name: ProfileName): Profile {
  switch (name) {
    case 'tuf':
      return tufProfile;
    case 'notary':
      return notaryProfile;
    default:
      throw new CeremonyError('PROFILE_UNKNOWN', `unknown profile ${JSON.stringify(name)}`);
  }
}
