#!/usr/bin/env node
// The CLI runs from the compiled core in dist/ (`npm run build`, part of the README's set-up command).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('error[USAGE]: tuf-ceremony is not built yet: run `npm run build` in the project folder first\n');
  process.exit(2);
}
await import(pathToFileURL(entry).href);
