/**
 * The " (at PATH)" a refusal's message ends with (CeremonyError's constructor appends it), in one place
 * for the core, the CLI and the app's screens: the renderer imports this file too, so it has no imports.
 */

/** The suffix a message about `path` carries ("" when there is no path). */
export function pathSuffix(path: string | undefined): string {
  return path !== undefined && path !== '' ? ` (at ${path})` : '';
}

/**
 * `message` without the " (at PATH)" its own path put there, for a wrapper that re-throws it with words of
 * its own and a path (passing the message on printed the path twice, "… (at P) (at P)": review 13a).
 * Compared as a string, not a pattern: a path may hold parentheses ("response 2 (Alice) $.signatures[0]"),
 * which made the older ` \(at [^)]*\)$` patterns cut at the wrong place or not at all.
 */
export function stripPathSuffix(message: string, path: string | undefined): string {
  const at = pathSuffix(path);
  return at && message.endsWith(at) ? message.slice(0, -at.length) : message;
}
