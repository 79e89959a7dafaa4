/**
 * `verify --json` lists every verified role by name, whatever the name: a TUF delegated role may be named
 * "__proto__" (review of session 9's hostile-input hunt: it was dropped from `roles`).
 */
import { describe, expect, it } from 'vitest';
import { verifiedJson } from '../../../src/cli/verify.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { buildRepo } from '../../support/repo.js';

describe('verify --json roles', () => {
  it.each(['__proto__', 'constructor', 'toString', 'releases'])('a delegated role named %j is listed', async (name) => {
    const r = await buildRepo('tuf', { delegationName: name });
    const repo = verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() });
    const shown = JSON.parse(JSON.stringify(verifiedJson(repo))) as { roles: Record<string, { delegatedBy: string; version: number }> };
    expect(Object.keys(shown.roles)).toEqual(['root', 'timestamp', 'snapshot', 'targets', name]);
    expect(Object.getOwnPropertyDescriptor(shown.roles, name)?.value).toMatchObject({ delegatedBy: 'targets', version: 1 });
  });
});
