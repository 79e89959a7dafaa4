/**
 * GUNs that can name a trust folder (tuf/gun.ts): the folder rules, and the Windows rules role files meet
 * where they fit (review-12 L2): no segment ending with "."; device names kept (review-12b M2: valid Docker
 * names Linux sites use); ":" kept for registry ports.
 */
import { describe, expect, it } from 'vitest';
import { gunFolderProblem, isFolderGun } from '../../../src/tuf/gun.js';

describe('isFolderGun', () => {
  it('refuses trailing-dot segments, with a reason; keeps ports and Windows device names (library/con, org/aux: valid Docker names)', () => {
    const bad: [string, RegExp][] = [
      ['registry.example.com/org/app.', /ends with "\."/],
      ['registry.example.com./org/app', /ends with "\."/],
      ['registry.example.com/org/app..', /ends with "\."/],
      ['registry.example.com/org/.', /not made of/],
      ['registry.example.com//app', /not made of/],
      ['registry.example.com/org/app x', /not made of/],
      [`${'a'.repeat(256)}`, /longer than 255/],
    ];
    expect(bad.map(([gun]) => isFolderGun(gun))).toEqual(bad.map(() => false));
    for (const [gun, why] of bad) expect(gunFolderProblem(gun), gun).toMatch(why);
    const good = ['registry.example.com/org/app', 'registry.example.com:5000/org/app', 'localhost:5000/app', 'console.example.com/nullable/con-x', 'registry.example.com/org/com10', 'aux.example.com/org/app', 'registry.example.com/con.d/app', 'registry.example.com/org/Lpt9.x', 'registry.example.com/org/.hidden', 'registry.example.com/nul/app', 'registry.example.com/org/COM1', 'docker.io/library/con', 'registry.example.com/org/aux', 'a/b.c/d_e-f'];
    expect(good.map(gunFolderProblem)).toEqual(good.map(() => undefined));
  });
});
