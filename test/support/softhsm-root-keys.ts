/**
 * The set-up the Notary co-sign suites share (certificate co-sign in the app, renew-certificates,
 * a targets key rotation): SoftHSM2 tokens made by softhsm2-util in a temp folder — one per custodian,
 * labelled by the lower-cased name, each with its own PIN — and on each a P-256 root key `root-<name>`
 * with a Notary root certificate for the GUN made on the token. Root v1 is signed while the tokens are
 * logged in, by the caller (each suite builds its own root), then every session is closed and the module
 * finalised; the tests log in again through the code under test.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import type { TokenSession } from '../../src/signers/pkcs11/session.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import type { ListedKey } from '../../src/signers/public-key-json.js';
import type { MetadataSigner } from '../../src/tuf/sign.js';
import { applyEnv } from './daemons.js';

/** SOFTHSM2_CONF pointing at `<dir>/tokens`, and one token per custodian (label: the name in lower case). Returns the restore of SOFTHSM2_CONF. */
export function initSoftHsmTokens(dir: string, tokens: readonly { name: string; pin: string }[]): () => void {
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const restore = applyEnv({ SOFTHSM2_CONF: conf });
  for (const t of tokens) execFileSync('softhsm2-util', ['--init-token', '--free', '--label', t.name.toLowerCase(), '--pin', t.pin, '--so-pin', '12345678'], { env: process.env });
  return restore;
}

export interface NotaryRootKeysOnTokens<T> {
  /** Token serial by label (the custodian's name in lower case). */
  serials: Record<string, string>;
  /** Each custodian's root key, listed as its certificate. */
  listed: Record<string, ListedKey>;
  /** What `withKeys` returned (root v1, typically). */
  made: T;
}

/**
 * On each custodian's token (made by initSoftHsmTokens): log in, generate `root-<name>` and its Notary root
 * certificate valid from `notBefore` until `notAfter`; `onToken` may make more keys on the logged-in token.
 * `withKeys` gets the listed keys, the signers of the custodians named in `signers`, and the sessions in
 * custodian order, before the sessions close.
 */
export async function notaryRootKeysOnTokens<T>(
  module: string,
  opts: {
    custodians: readonly { name: string; pin: string }[];
    gun: string;
    notBefore: Date;
    notAfter: Date;
    signers: readonly string[];
    onToken?: (name: string, session: TokenSession) => Promise<void>;
  },
  withKeys: (keys: { listed: Record<string, ListedKey>; signers: MetadataSigner[]; sessions: TokenSession[] }) => Promise<T>,
): Promise<NotaryRootKeysOnTokens<T>> {
  const mod = await TokenModule.load(module);
  try {
    const serials: Record<string, string> = {};
    const listed: Record<string, ListedKey> = {};
    for (const t of await mod.listTokens()) if (t.initialized) serials[t.label] = t.serial;
    const signers: MetadataSigner[] = [];
    const sessions: TokenSession[] = [];
    for (const { name, pin } of opts.custodians) {
      const session = await mod.openToken({ serial: serials[name.toLowerCase()]! });
      sessions.push(session);
      await session.login(pin);
      const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: `root-${name.toLowerCase()}` });
      const cert = await makeNotaryRootCertificate(key, { gun: opts.gun, notBefore: opts.notBefore, notAfter: opts.notAfter });
      listed[name] = cert.listed;
      if (opts.signers.includes(name)) signers.push(metadataSigner(key, cert.listed));
      await opts.onToken?.(name, session);
    }
    const made = await withKeys({ listed, signers, sessions });
    for (const s of sessions) await s.close();
    return { serials, listed, made };
  } finally {
    await mod.finalize();
  }
}
