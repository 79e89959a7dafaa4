/**
 * One step of the root ceremony. A step is re-runnable: it reads what earlier runs completed from the
 * state and does only what is left (a key already made is found on its token, a signature already
 * collected is checked and kept), so a ceremony interrupted inside a step resumes inside it.
 */
import type { DigestInput, FileInput } from '../../audit/transcript.js';
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

/** Transcript notes are at most 500 characters (src/audit/schema.ts NOTE_MAX_CHARS). */
export function clipNote(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
