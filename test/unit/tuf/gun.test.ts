/**
 * GUNs that can name a trust folder (tuf/gun.ts): the folder rules, and the Windows rules role files meet
 * where they fit (review-12 L2): no segment ending with ".", no device name; ":" kept for registry ports.
 */
import { describe, expect, it } from 'vitest';
import { gunFolderProblem, isFolderGun } from '../../../src/tuf/gun.js';

describe('isFolderGun', () => {
  it('refuses trailing-dot and Windows device-name segments, with a reason; keeps ports, names that only start like a device, and dotted segments (host names) that start with one', () => {
    const bad: [string, RegExp][] = [
      ['registry.example.com/org/app.', /ends with "\."/],
      ['registry.example.com./org/app', /ends with "\."/],
      ['registry.example.com/org/app..', /ends with "\."/],
      ['registry.example.com/nul/app', /Windows device name "nul"/],
      ['registry.example.com/org/COM1', /Windows device name "COM1"/],
      ['registry.example.com/org/Lpt9', /Windows device name "Lpt9"/],
      ['registry.example.com/org/.', /not made of/],
      ['registry.example.com//app', /not made of/],
      ['registry.example.com/org/app x', /not made of/],
      [`${'a'.repeat(256)}`, /longer than 255/],
    ];
    expect(bad.map(([gun]) => isFolderGun(gun))).toEqual(bad.map(() => false));
    for (const [gun, why] of bad) expect(gunFolderProblem(gun), gun).toMatch(why);
    const good = ['registry.example.com/org/app', 'registry.example.com:5000/org/app', 'localhost:5000/app', 'console.example.com/nullable/con-x', 'registry.example.com/org/com10', 'aux.example.com/org/app', 'registry.example.com/con.d/app', 'registry.example.com/org/Lpt9.x', 'registry.example.com/org/.hidden', 'a/b.c/d_e-f'];
    expect(good.map(gunFolderProblem)).toEqual(good.map(() => undefined));
  });
});
