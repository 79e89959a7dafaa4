/**
 * NSS's software token (softokn) as a PKCS#11 module, for integration tests. Measured on Debian 12
 * (libnss3 3.87.1, libnss3-tools):
 *
 * - The module is `/usr/lib/x86_64-linux-gnu/libsoftokn3.so` (package libnss3; not under …/nss/).
 * - C_Initialize needs parameters (graphene / pkcs11js `libraryParameters`): `configdir='sql:DIR'
 *   certPrefix='' keyPrefix='' secmod='secmod.db' flags=` — without them CKR_ARGUMENTS_BAD (FIELD-NOTES).
 * - A database made with `certutil -N -d sql:DIR` (cert9.db, key4.db, pkcs11.txt): with `--empty-password`
 *   the token needs no login; with `-f FILE` its password is the user PIN (CKF_LOGIN_REQUIRED).
 * - Two slots: "NSS Generic Crypto Services" (session objects only; login gives CKR_USER_TYPE_INVALID) and
 *   "NSS Certificate DB" / "NSS User Private Key and Certificate Services", where keys persist. Both report
 *   serial `0000000000000000`, model "NSS 3", manufacturer "Mozilla Foundation"; PIN length 0–500.
 * - The database token offers ECDSA P-256 / P-384 and RSA-PSS (CKM_RSA_PKCS_KEY_PAIR_GEN reports a maximum
 *   of 4294967295 bits), no EdDSA. It never locks: six wrong PINs in a row, then the right one logs in, and
 *   the token flags never change.
 * - It does not keep a private key in: a P-256 key generated with CKA_SENSITIVE=true, CKA_EXTRACTABLE=false
 *   reads back so (and CKA_NEVER_EXTRACTABLE=true), CKA_VALUE gives CKR_ATTRIBUTE_SENSITIVE, yet C_WrapKey
 *   with a session AES key returns it wrapped (CKM_AES_KEY_WRAP_PAD 152 bytes, CKM_AES_CBC_PAD 144 bytes;
 *   bare graphene-pk11, measured).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NSS_SOFTOKN_MODULE = '/usr/lib/x86_64-linux-gnu/libsoftokn3.so';
/** The token keys persist on (the database's token). */
export const NSS_DB_TOKEN_LABEL = 'NSS Certificate DB';

export interface NssDb {
  modulePath: string;
  dir: string;
  /** The C_Initialize parameter string for this database. */
  libraryParameters: string;
  /** The database password (the token's user PIN), or '' for an empty one. */
  pin: string;
  stop(): Promise<void>;
}

/** A fresh NSS database in a temp dir, with `password` ('' = `--empty-password`). */
export function makeNssDb(password: string): NssDb {
  for (const f of [NSS_SOFTOKN_MODULE, '/usr/bin/certutil']) {
    if (!existsSync(f)) throw new Error(`${f} is missing: install Debian's libnss3 and libnss3-tools (see .ci/run)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tufc-nss-'));
  if (password) {
    const pw = join(dir, 'password.txt');
    writeFileSync(pw, `${password}\n`, { mode: 0o600 });
    execFileSync('/usr/bin/certutil', ['-N', '-d', `sql:${dir}`, '-f', pw], { stdio: 'pipe' });
    rmSync(pw);
  } else {
    execFileSync('/usr/bin/certutil', ['-N', '-d', `sql:${dir}`, '--empty-password'], { stdio: 'pipe' });
  }
  return {
    modulePath: NSS_SOFTOKN_MODULE,
    dir,
    libraryParameters: `configdir='sql:${dir}' certPrefix='' keyPrefix='' secmod='secmod.db' flags=`,
    pin: password,
    stop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
