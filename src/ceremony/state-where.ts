/**
 * Where a refusal about the ceremony state applies: the state file and the JSON path in it, as one error
 * path (`<state file> $.keys.root/Bob`), the project's way of naming a place inside a file. Review 15e L2:
 * a JSON path alone does not say which file to look at.
 */
import { join } from 'node:path';
import type { OutputLayout } from './layout.js';
import { STATE_FILE } from './state.js';

export function inState(statePath: string, jsonPath: string): string {
  return `${statePath} ${jsonPath}`;
}

/** The state file of a ceremony's output folder. */
export function statePathOf(ctx: { readonly layout: OutputLayout }): string {
  return join(ctx.layout.state, STATE_FILE);
}
