/**
 * Size caps, checked before a byte is parsed. python-tuf's client defaults are 512 kB root, 16 kB
 * timestamp, 2 MB snapshot, 5 MB targets; ours are larger because an air-gapped site verifies whole
 * repositories (the benchmark's 100,000-entry targets file is ~20 MB), but still bounded.
 */
export interface SizeCaps {
  root: number;
  timestamp: number;
  snapshot: number;
  targets: number;
  /** Each delegated targets role. */
  delegated: number;
  /** Number of root versions a chain may walk in one verification. */
  rootChainLength: number;
  /** Number of metadata files in one directory or bundle. */
  files: number;
  /**
   * JSON values (and keys) of all the non-root metadata one verification parses and keeps (timestamp,
   * snapshot, targets, delegations): what bounds its memory whatever the files' shape (src/json/parse.ts
   * DEFAULT_MAX_VALUES explains the count). Root versions are parsed one at a time and not kept; each has
   * its own file cap. Default DEFAULT_REPOSITORY_VALUES.
   */
  repositoryValues?: number;
}

/** A 100,000-entry targets file counts ~1 million values; this admits a repository three times as large. */
export const DEFAULT_REPOSITORY_VALUES = 3_000_000;

export const DEFAULT_CAPS: SizeCaps = {
  root: 1024 * 1024,
  timestamp: 64 * 1024,
  snapshot: 32 * 1024 * 1024,
  targets: 64 * 1024 * 1024,
  delegated: 64 * 1024 * 1024,
  rootChainLength: 10_000,
  files: 20_000,
  repositoryValues: DEFAULT_REPOSITORY_VALUES,
};

export function capFor(caps: SizeCaps, role: string): number {
  switch (role) {
    case 'root':
    case 'timestamp':
    case 'snapshot':
    case 'targets':
      return caps[role];
    default:
      return caps.delegated;
  }
}
