/**
 * Reading metadata that nobody has verified (inspect without a verdict, status): bounded the way
 * verification bounds it (issue #12, review-12 M2). A file is checked against the length and hashes its
 * referrer records (TUF 5.5.2 snapshot against timestamp, 5.6.2 targets and delegated roles against
 * snapshot) before a byte of it is parsed, so a bloated file is refused from its size or one hash; and
 * every non-root file draws on one shared value budget (caps.ts repositoryValues), so a bundle of many
 * files at their own caps costs at most what one repository may, in time and memory.
 * JSON_TOO_MANY_VALUES when the budget runs out, as in verifyRepository.
 */
import type { Profile, ProfileName } from '../profiles/profile.js';
import { capFor, DEFAULT_CAPS, DEFAULT_REPOSITORY_VALUES, type SizeCaps } from './caps.js';
import type { MetaFile } from './meta-file.js';
import { parseMetadata, type Metadata, type SignedOf, type ValueBudget } from './metadata.js';
import { checkBytesAgainstMeta } from './repository.js';
import type { RoleType } from './signed-common.js';

/** What the referring file records about the one read (`meta` undefined: it lists no entry, nothing to check). */
export interface Referrer {
  meta: MetaFile | undefined;
  /** The referring file's name, for messages ("snapshot.json"). */
  by: string;
  profile: Profile;
}

/** One budget for everything a single inspection or report parses (caps.ts repositoryValues). */
export function repositoryBudget(caps: SizeCaps = DEFAULT_CAPS): ValueBudget {
  return { remaining: caps.repositoryValues ?? DEFAULT_REPOSITORY_VALUES };
}

export interface UnverifiedReadOptions {
  /** The role's name (a delegated role's own): which size cap applies (caps.ts capFor). */
  role: string;
  source: string;
  /** Shared by every non-root file; a root is kept alone under its own cap and not counted. */
  budget?: ValueBudget;
  referred?: Referrer;
  /** Refuse another profile's file (ROLE_TYPE_MISMATCH); by default it is read from `_type`. */
  profile?: ProfileName;
  caps?: SizeCaps;
}

/** Check `bytes` against their referrer's record, then parse them under their cap and the budget. Throws the refusal. */
export function readUnverified<R extends RoleType>(bytes: Uint8Array, type: R, opts: UnverifiedReadOptions): Metadata<SignedOf<R>> {
  const r = opts.referred;
  if (r?.meta) checkBytesAgainstMeta(r.profile, r.meta, bytes, opts.source, r.by);
  return parseMetadata(bytes, type, {
    maxBytes: capFor(opts.caps ?? DEFAULT_CAPS, type === 'root' ? 'root' : opts.role),
    source: opts.source,
    ...(opts.profile ? { profile: opts.profile } : {}),
    ...(opts.budget && type !== 'root' ? { budget: opts.budget } : {}),
  });
}
