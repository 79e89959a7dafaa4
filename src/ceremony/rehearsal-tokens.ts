/**
 * The rehearsal tokens of a whole rehearsal (PRODUCT.md §2.8), shared by `tuf-ceremony rehearse`
 * (src/cli/rehearse.ts) and the app's Root ceremony screen (electron/main/ceremony.ts): SoftHSM2 in a
 * private temporary token folder when it is installed — the same PKCS#11 path as hardware — else
 * in-process software tokens. One token per custodian, logged in with random PINs nobody sees.
 *
 * SoftHSM2 reads SOFTHSM2_CONF once, when the module initialises. So:
 * - if the module is not loaded in this process yet, a private folder is made (src/io/softhsm.ts),
 *   SOFTHSM2_CONF names it while the module loads, and `close()` finalises the module, restores
 *   SOFTHSM2_CONF and deletes the folder (a second rehearsal in one process starts afresh);
 * - if someone in this process loaded the module already, it is used as it is (its configuration was
 *   read then) and `close()` only closes the tokens.
 */
import { makeTempSoftHsmDir, moduleFileExists } from '../io/softhsm.js';
import { resolvePreset } from '../signers/pkcs11/presets.js';
import { TokenModule } from '../signers/pkcs11/token.js';
import { chooseRehearsalKind, loadRehearsalSoftHsm, openRehearsalTokens, REHEARSAL_NOTICE, type RehearsalKind, type RehearsalToken } from '../signers/rehearsal.js';

export interface RehearsalTokenSet {
  kind: RehearsalKind;
  /** What the rehearsal must say everywhere (REHEARSAL_NOTICE of the kind). */
  notice: string;
  /** One per custodian, in the order given. */
  tokens: RehearsalToken[];
  /**
   * Close every token (SoftHSM2: log out; software: wipe the keys) and, if this set loaded SoftHSM2
   * itself, finalise it, restore SOFTHSM2_CONF and delete its token folder. Safe to call twice.
   */
  close(): Promise<void>;
}

/** The SoftHSM2 module of this platform when it is installed, else undefined (software rehearsal tokens). */
export function installedSoftHsm(exists: (path: string) => boolean = moduleFileExists, platform: string = process.platform): string | undefined {
  const path = resolvePreset('softhsm2', platform, exists);
  return exists(path) ? path : undefined;
}

/** The kind of rehearsal tokens `openRehearsalTokenSet` makes for this module path (or none). */
export function rehearsalKindFor(softhsm: string | undefined): RehearsalKind {
  return chooseRehearsalKind(softhsm !== undefined);
}

export interface RehearsalTokenSetOptions {
  custodians: readonly string[];
  /** The SoftHSM2 module path (installedSoftHsm()), or undefined for in-process software tokens. */
  softhsm: string | undefined;
}

function closer(tokens: readonly RehearsalToken[], release: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      for (const t of tokens) await t.close().catch(() => undefined);
      await release();
    })());
}

export async function openRehearsalTokenSet(opts: RehearsalTokenSetOptions): Promise<RehearsalTokenSet> {
  const { custodians, softhsm } = opts;
  const set = (kind: RehearsalKind, tokens: RehearsalToken[], release: () => Promise<void>): RehearsalTokenSet => ({ kind, notice: REHEARSAL_NOTICE[kind], tokens, close: closer(tokens, release) });
  if (!softhsm) return set('software', await openRehearsalTokens({ custodians }), async () => undefined);
  if (TokenModule.isLoaded(softhsm)) {
    const mod = await TokenModule.load(softhsm);
    return set('softhsm2', await openRehearsalTokens({ custodians, softhsm: mod }), async () => undefined);
  }
  const folder = await makeTempSoftHsmDir();
  const previousConf = process.env.SOFTHSM2_CONF;
  let mod: TokenModule | undefined;
  const release = async (): Promise<void> => {
    await mod?.finalize().catch(() => undefined);
    if (previousConf === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = previousConf;
    await folder.remove();
  };
  try {
    mod = await loadRehearsalSoftHsm(softhsm, folder.confPath);
    return set('softhsm2', await openRehearsalTokens({ custodians, softhsm: mod }), release);
  } catch (err) {
    await release();
    throw err;
  }
}
