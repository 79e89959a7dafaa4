#!/usr/bin/env node
// The CLI runs from the compiled core bundled into dist/cli/ (`npm run build`, part of the README's set-up
// command; vite.cli.config.ts says why it is bundled).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('error[USAGE]: tuf-ceremony is not built yet: run `npm run build` in the project folder first\n');
  process.exit(2);
}
await import(pathToFileURL(entry).href);
