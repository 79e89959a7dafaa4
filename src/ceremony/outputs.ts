/**
 * The files a root ceremony leaves in its output folder, by name, in the metadata/, secret/ and state/
 * folders (layout.ts). Metadata first (what clients and servers read), then the ceremony's own records.
 * Nothing here is ever overwritten; the state file is the machine's journal and the one file replaced as
 * the ceremony goes (state.ts).
 */
import { ATTESTATIONS_FILE } from '../attestation/attestations-name.js';
import { CeremonyError } from '../errors.js';
import type { CeremonyContext } from './context.js';
import { buildAll, fileOf, writtenRoles } from './metadata.js';
import { INVENTORY_FILE } from './inventory.js';
import { holdsRole, type CeremonyPlan } from './plan.js';
import { shareCardFiles } from './steps/shamir-backup.js';
import { STATE_FILE } from './state.js';
import { inFolder, METADATA_DIR, SECRET_DIR, STATE_DIR } from './layout.js';
import { inState, statePathOf } from './state-where.js';

export const TRANSCRIPT_FILE = 'transcript.jsonl';
export const TRANSCRIPT_HTML = 'transcript.html';

/** Metadata file names, in writing order. */
export function metadataFileNames(plan: CeremonyPlan): string[] {
  const out = writtenRoles(plan).map((r) => `${r}.json`);
  if (plan.profile === 'tuf') {
    // TUF 5.3: clients fetch N.root.json to walk the chain; version 1 is where a chain starts.
    out.splice(1, 0, '1.root.json');
    // TUF 5.5 / 5.6 with consistent snapshots: clients fetch VERSION.snapshot.json and VERSION.targets.json.
    // (1.snapshot.json only when the ceremony signs the snapshot: an online snapshot is the service's.)
    if (plan.consistentSnapshot) out.push(...(holdsRole(plan, 'snapshot') ? ['1.snapshot.json'] : []), '1.targets.json');
  }
  return out;
}

/** The ceremony's own records, in state/ (never secret, never published to clients). */
export function stateFileNames(): string[] {
  return [TRANSCRIPT_FILE, TRANSCRIPT_HTML, STATE_FILE, INVENTORY_FILE];
}

/**
 * Every file the ceremony may write, as paths relative to the output folder ('metadata/root.json',
 * 'secret/share-cards.html', 'state/ceremony-state.json'); checked absent before a fresh ceremony starts.
 */
export function allOutputNames(plan: CeremonyPlan): string[] {
  return [
    ...metadataFileNames(plan).map((n) => inFolder(METADATA_DIR, n)),
    inFolder(METADATA_DIR, ATTESTATIONS_FILE),
    ...(plan.shamir ? shareCardFiles(plan.shamir.shares) : []).map((n) => inFolder(SECRET_DIR, n)),
    ...stateFileNames().map((n) => inFolder(STATE_DIR, n)),
  ];
}

/**
 * The files of an output folder laid out before the metadata/secret/state folders (everything at the
 * top): a ceremony never resumes or starts over one of those (it would not find its journal).
 */
export function flatLayoutNames(plan: CeremonyPlan): string[] {
  return [STATE_FILE, TRANSCRIPT_FILE, ...metadataFileNames(plan)];
}

/** The metadata files' bytes, from the signatures collected. */
export async function metadataFiles(ctx: CeremonyContext): Promise<{ name: string; bytes: Uint8Array }[]> {
  const built = await buildAll(ctx);
  const byRole = new Map<string, Uint8Array>();
  for (const role of writtenRoles(ctx.plan)) {
    const signed = built[role];
    const sigs = ctx.state.signatures[role];
    // Reached only through a state that says the signatures were collected (review 15e L2): its error, not a bug.
    if (!signed || !sigs?.length) throw new CeremonyError('CEREMONY_STATE_INVALID', `${role}.json has not been signed, but the state says its signatures were collected`, { path: inState(statePathOf(ctx), `$.signatures.${role}`) });
    byRole.set(`${role}.json`, fileOf(ctx.plan, signed, sigs));
  }
  return metadataFileNames(ctx.plan).map((name) => {
    const base = name.replace(/^1\./, '');
    const bytes = byRole.get(base);
    if (!bytes) throw new CeremonyError('INTERNAL', `no bytes for ${name}`);
    return { name, bytes };
  });
}
