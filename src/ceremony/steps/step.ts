/**
 * One step of the root ceremony. A step is re-runnable: it reads what earlier runs completed from the
 * state and does only what is left (a key already made is found on its token, a signature already
 * collected is checked and kept), so a ceremony interrupted inside a step resumes inside it.
 */
import { NOTE_MAX_CHARS } from '../../audit/schema.js';
import type { DigestInput, FileInput } from '../../audit/transcript.js';
import { clipText } from '../../json/clip.js';
import type { CeremonyContext } from '../context.js';
import type { CeremonyPlan } from '../plan.js';
import type { StepName } from '../state.js';

/** What the machine records for a completed step (one transcript entry per step, `ceremony.<name>`). */
export interface StepSummary {
  note: string;
  digests?: DigestInput[];
  inputs?: FileInput[];
  outputs?: FileInput[];
}

export interface Step {
  readonly name: StepName;
  /** For people: what the step does. */
  readonly title: string;
  applies(plan: CeremonyPlan): boolean;
  run(ctx: CeremonyContext): Promise<StepSummary>;
}

/** The actor of steps no person performs. */
export const APP_ACTOR = { name: 'tuf-ceremony', role: 'app' as const };

/** Transcript notes are at most NOTE_MAX_CHARS (500) characters: clipped by the audit layer's own rule. */
export function clipNote(text: string, max = NOTE_MAX_CHARS): string {
  return clipText(text, max);
}
