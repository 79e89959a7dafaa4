/**
 * `rehearse --repositories N` (issue #17) on SoftHSM2 rehearsal tokens, both profiles: a multi-repository
 * ceremony (h17a's runMultiCeremony) of N repositories sharing the custodians' token keys, a batch rotation replacing Carol by Dave in all of them (co-signed
 * once by Alice and Bob, merged per repository), one trust-bundle-set exported and imported at the
 * simulated site, and a set with one broken repository refused with the trust directory unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { installedSoftHsm } from '../../src/ceremony/rehearsal-tokens.js';
import { captureIo } from '../support/cli-io.js';
import { tempDirs } from '../support/temp-dirs.js';

const tmp = tempDirs();

const N = 10;

describe.each(['notary', 'tuf'] as const)('rehearse --repositories %s', (profile) => {
  it(`${N} repositories: ceremony, batch rotation, export, site import; stage times in --json`, async () => {
    expect(installedSoftHsm()).toBeDefined();
    const out = tmp(`tufc-rehearse-many-${profile}-`);
    const c = captureIo();
    expect(await runCli(['rehearse', '--profile', profile, '--repositories', String(N), '--out', out, '--json'], c.io)).toBe(0);
    const r = JSON.parse(c.out.join('\n')) as {
      rehearsal: string;
      repositories: string[];
      ceremony: { tokenSignatures: number; transcript: string; inventory: string; shareCards: string[] };
      rotation: { summary: string[]; exceptions: number; status: string; tokenSignatures: number; merged: string };
      site: { installed: number; rootVersions: number[]; transcript: string | null; refusal: { code: string; unchanged: boolean; message: string; transcript: string | null } };
      durationMs: Record<string, number>;
    };
    expect(r.rehearsal).toBe('softhsm2');
    expect(r.repositories).toHaveLength(N);
    // The multi-repository ceremony's count: root.json by the custodians, certificates (Notary), targets, snapshot, the seal.
    expect(r.ceremony.tokenSignatures).toBeGreaterThanOrEqual(3 * N);
    expect(r.rotation.summary[0]).toMatch(/^root key "Carol" \(fingerprint [0-9a-f ]+\) replaced by "Dave"/);
    expect(r.rotation.exceptions).toBe(0);
    expect(r.rotation.status).toBe(`${N} of ${N} repositories complete`);
    expect(r.rotation.tokenSignatures).toBe(2 * N);
    expect(r.site.installed).toBe(N);
    expect(r.site.rootVersions).toEqual([2]);
    expect(r.site.refusal.code).toBe('HASH_MISMATCH'); // snapshot.json pins targets.json's hash: the changed bytes are caught there
    expect(r.site.refusal.unchanged).toBe(true);
    expect(r.site.refusal.message).toContain('nothing of the set was installed');
    for (const stage of ['ceremony', 'rotation', 'export', 'site', 'total']) expect(r.durationMs[stage]).toBeGreaterThanOrEqual(0);
    const last = r.repositories[N - 1]!;
    expect(existsSync(join(out, r.rotation.merged, last, '2.root.json'))).toBe(true);
    expect(existsSync(join(out, r.ceremony.transcript))).toBe(true);
    expect(existsSync(join(out, r.ceremony.inventory))).toBe(true);
    // The Shamir backup, as in a one-repository rehearsal: one split key's REHEARSAL cards for all N.
    expect(r.ceremony.shareCards).toEqual(['secret/share-card-1-of-3.txt', 'secret/share-card-2-of-3.txt', 'secret/share-card-3-of-3.txt', 'secret/share-cards.html']);
    for (const card of r.ceremony.shareCards) expect(existsSync(join(out, card))).toBe(true);
    const folder = profile === 'notary' ? join(out, 'site', 'trust-dir', 'tuf', ...last.split('/'), 'metadata') : join(out, 'site', 'trust-dir', last);
    expect(JSON.parse(readFileSync(join(folder, 'root.json'), 'utf8')).signed.version).toBe(2);
    expect(readFileSync(join(out, 'rotation', 'review.txt'), 'utf8')).toContain(`In ${N} repositories: root key "Carol"`);
    // The set's import and its refusal each left the session transcript `import SET` leaves: it verifies,
    // is marked a rehearsal, and ends with the outcome.
    for (const [rel, outcome] of [[r.site.transcript, /^installed/], [r.site.refusal.transcript, /^refused.*HASH_MISMATCH/]] as const) {
      expect(rel).toMatch(profile === 'notary' ? /^site\/trust-dir\/tuf-ceremony-sessions\// : /^site\/trust-dir\.tuf-ceremony-sessions\//);
      const v = captureIo();
      expect(await runCli(['transcript', 'verify', join(out, rel!), '--allow-unsealed', '--json'], v.io), v.err.join('\n')).toBe(0);
      const t = JSON.parse(v.out.join('\n')) as { kind: string; rehearsal: boolean; entries: { step: string; note?: string }[] };
      expect([t.kind, t.rehearsal]).toEqual(['import', true]);
      expect(t.entries.at(-1)!.step).toBe('session.end');
      expect(t.entries.at(-1)!.note).toMatch(outcome);
    }
  }, 300_000);
});
