/**
 * The name and size cap of `attestations.json` (attestations-file.ts), on their own so the repository file
 * classifier (src/tuf/repository-files.ts) can name the file without importing certificate code.
 */
export const ATTESTATIONS_FILE = 'attestations.json';
/** A chain is two certificates of about 1 KiB as PEM; a repository has at most a few dozen keys. */
export const ATTESTATIONS_MAX_BYTES = 1024 * 1024;
