/**
 * Target files in a reviewed targets change: add, update or remove files listed by targets.json N+1,
 * on top of a targets payload (src/rotation/targets-payload.ts: delegations, revocations, the new expiry),
 * so the result goes through the same signing request, review, co-signing and merge.
 *
 * - add: a new name; its entry is computed from the file given (TARGET_EXISTS when the name is listed);
 * - update: a listed name, new bytes; `custom` and fields this tool does not know are kept, unless new
 *   custom data is given (TARGET_UNKNOWN when the name is not listed);
 * - remove: a listed name (TARGET_UNKNOWN otherwise).
 * Names must be usable as paths under a host's targets/ (TARGET_NAME_UNSAFE); one name appears in one
 * list once. The payload's `targets` is parsed again from the new `signed`, as a verifier would read it.
 */
import { CeremonyError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName } from '../profiles/profile.js';
import type { TargetsPayload } from '../rotation/targets-payload.js';
import { targetPathSegments } from '../repository-tree/layout.js';
import { parseTargetsSigned } from '../tuf/targets.js';
import { targetEntry } from './entry.js';

export interface TargetFileInput {
  name: string;
  bytes: Uint8Array;
  /** New custom data (TUF `custom`); on update, omitted = keep the current one. */
  custom?: JsonValue;
}

export interface TargetFileChanges {
  add?: TargetFileInput[];
  update?: TargetFileInput[];
  remove?: string[];
}

export function applyTargetFileChanges(payload: TargetsPayload, changes: TargetFileChanges): TargetsPayload {
  const signed = applyTargetFileChangesToSigned(payload.profile, payload.signed, changes, 'targets.json');
  return { ...payload, signed, targets: parseTargetsSigned(getProfile(payload.profile), signed, '$') };
}

/**
 * The same changes on any targets-type `signed` object (targets.json, or a delegated role's file:
 * src/rotation/delegated-payload.ts); `file` names it in refusals. Returns a new object.
 */
export function applyTargetFileChangesToSigned(profile: ProfileName, before: JsonObject, changes: TargetFileChanges, file: string): JsonObject {
  const targets: JsonObject = { ...((before.targets as JsonObject | undefined) ?? {}) };
  const seen = new Set<string>();
  const once = (name: string, path: string): void => {
    if (typeof name !== 'string') throw new CeremonyError('USAGE', 'a target name is text', { path });
    targetPathSegments(name, path);
    if (seen.has(name)) throw new CeremonyError('USAGE', `target ${JSON.stringify(name)} is named twice in one change`, { path });
    seen.add(name);
  };
  (changes.add ?? []).forEach((f, i) => {
    const path = `$change.targetFiles.add[${i}]`;
    once(f.name, path);
    if (Object.hasOwn(targets, f.name)) throw new CeremonyError('TARGET_EXISTS', `${file} already lists ${JSON.stringify(f.name)}: update it instead`, { path });
    targets[f.name] = targetEntry(profile, f.bytes, {}, f.custom);
  });
  (changes.update ?? []).forEach((f, i) => {
    const path = `$change.targetFiles.update[${i}]`;
    once(f.name, path);
    const current = targets[f.name];
    if (current === undefined || current === null || typeof current !== 'object' || Array.isArray(current)) {
      throw new CeremonyError('TARGET_UNKNOWN', `${file} lists no target ${JSON.stringify(f.name)} to update: add it instead`, { path });
    }
    const keep: JsonObject = { ...current };
    delete keep.length;
    delete keep.hashes;
    targets[f.name] = targetEntry(profile, f.bytes, keep, f.custom);
  });
  (changes.remove ?? []).forEach((name, i) => {
    const path = `$change.targetFiles.remove[${i}]`;
    once(name, path);
    if (!Object.hasOwn(targets, name)) throw new CeremonyError('TARGET_UNKNOWN', `${file} lists no target ${JSON.stringify(name)} to remove`, { path });
    delete targets[name];
  });
  return { ...before, targets };
}
