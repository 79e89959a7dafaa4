#!/usr/bin/env node
/**
 * `npm run setup`: `npm ci`, with native addons (pkcs11js, under graphene-pk11) built against the headers of
 * the Node that runs this, when it ships them (Debian's nodejs: /usr/include/node). node-gyp otherwise
 * downloads headers from nodejs.org, which an offline or registry-only machine cannot reach. An explicit
 * `npm_config_nodedir` is kept as given.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const prefix = dirname(dirname(process.execPath));
const env = { ...process.env };
if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node.h'))) {
  env.npm_config_nodedir = prefix;
  console.log(`setup: building native addons against ${join(prefix, 'include', 'node')}`);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit', env, shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
