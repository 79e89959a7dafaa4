/**
 * SoftHSM2 tokens for end-to-end tests, made by Debian's softhsm2-util (independently of our core) in a
 * private folder whose configuration SOFTHSM2_CONF names — in this process, where the bridge's handlers
 * load the module, and for softhsm2-util.
 */
import { execFileSync } from 'node:child_process';
import { prepareSoftHsmDir } from '../../../src/io/softhsm.js';

/** Write `<dir>/softhsm2.conf` and `<dir>/tokens`, and point SOFTHSM2_CONF at them (before the module loads). */
export async function useSoftHsmDir(dir: string): Promise<void> {
  const { confPath } = await prepareSoftHsmDir(dir);
  process.env.SOFTHSM2_CONF = confPath;
}

/** The serial softhsm2-util reports for the token labelled `label`. */
export function softHsmSerialOf(label: string): string {
  const text = execFileSync('softhsm2-util', ['--show-slots'], { encoding: 'utf8', env: process.env });
  const block = text.split(/\n(?=Slot )/).find((b) => new RegExp(`Label:\\s+${label}\\s*$`, 'm').test(b));
  const m = block && /Serial number:\s+(\S+)/.exec(block);
  if (!m) throw new Error(`no token ${label} in:\n${text}`);
  return m[1]!;
}

/** Initialise a token in the free slot with softhsm2-util; returns its serial. */
export function initSoftHsmToken(label: string, pin: string, soPin: string): string {
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env: process.env, stdio: 'pipe' });
  return softHsmSerialOf(label);
}
