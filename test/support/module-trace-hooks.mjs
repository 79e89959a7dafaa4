// Module-load hooks (node:module register): every module URL the ESM loader loads is appended, one per
// line, to the file named by the `data` passed at registration. Used by test/unit/cli/lazy-modules.test.ts
// to see which modules a command really loads.
import { appendFileSync } from 'node:fs';

let out;

export function initialize(data) {
  out = data.file;
}

export async function load(url, context, nextLoad) {
  appendFileSync(out, `${url}\n`);
  return nextLoad(url, context);
}
