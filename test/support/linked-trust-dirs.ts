/**
 * A fresh trust directory named three ways under `base` (review-12 L1): a real folder, a link to one (a
 * `~/.docker/trust` moved to a larger disk), and a real folder below a linked ancestor (macOS `/tmp` →
 * `/private/tmp`). The CLI and the app's import tests install through each.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export function linkedTrustSites(base: string): [string, string][] {
  mkdirSync(join(base, 'plain'));
  mkdirSync(join(base, 'data', 'docker-trust'), { recursive: true });
  mkdirSync(join(base, 'home', '.docker'), { recursive: true });
  symlinkSync(join(base, 'data', 'docker-trust'), join(base, 'home', '.docker', 'trust'));
  mkdirSync(join(base, 'private', 'tmp', 'site', 'trust'), { recursive: true });
  symlinkSync(join(base, 'private', 'tmp'), join(base, 'tmp'));
  return [
    ['plain', join(base, 'plain')],
    ['linked', join(base, 'home', '.docker', 'trust')],
    ['ancestor', join(base, 'tmp', 'site', 'trust')],
  ];
}
