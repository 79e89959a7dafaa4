/**
 * Choose a key on a token: a PKCS#11 module (preset or a library file picked in main's dialog), its tokens and the public keys each
 * shows without a PIN (tokensList), one key picked by a radio button. No PIN here: the screens check the
 * choice against what they expect before any PIN dialog opens.
 */
import { useState } from 'react';
import type { ModulePresetName, ModuleRef, TokenKeyView, TokenModuleView, TokenView } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { algorithmTitle, groupWords } from '../lib/format';
import { chooseModuleFile, type ChosenModule } from '../lib/modules';

export interface PickedKey {
  module: ModuleRef;
  token: TokenView;
  key: TokenKeyView;
  rehearsal: boolean;
}

const MODULES: { id: ModulePresetName | 'custom'; title: string }[] = [
  { id: 'ykcs11', title: 'YubiKey (ykcs11)' },
  { id: 'opensc', title: 'OpenSC' },
  { id: 'softhsm2', title: 'SoftHSM2 (rehearsals and tests)' },
  { id: 'custom', title: 'Another PKCS#11 library' },
];

/** A key the request asks for (Co-sign, issue #16): listed first, with its signer's name. */
export interface WantedKey {
  /** Full SHA-256 of the public key (FingerprintView.sha256). */
  sha256: string;
  name: string;
}

export function TokenKeyPicker({ name, disabled, onPick, wanted }: { name: string; disabled?: boolean; onPick: (picked: PickedKey | undefined) => void; wanted?: readonly WantedKey[] }) {
  const [choice, setChoice] = useState<ModulePresetName | 'custom'>('ykcs11');
  const [chosenFile, setChosenFile] = useState<ChosenModule | undefined>();
  const [view, setView] = useState<TokenModuleView | undefined>();
  // The module the shown tokens were listed from (the radio buttons may have moved on since).
  const [listed, setListed] = useState<ModuleRef | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState<string | undefined>();
  const module: ModuleRef | undefined = choice === 'custom' ? (chosenFile ? { chosen: chosenFile.chosen } : undefined) : choice;

  async function chooseFile() {
    const r = await chooseModuleFile();
    setRefusal(r.refusal);
    if (r.chosen) setChosenFile(r.chosen);
  }

  async function list() {
    if (!module) return;
    const api = ceremonyApi();
    setBusy(true);
    setRefusal(undefined);
    setPicked(undefined);
    onPick(undefined);
    try {
      const r = api ? await api.tokensList({ module }) : NO_BRIDGE;
      if (r.ok) {
        setView(r.value);
        setListed(module);
      }
      else {
        setView(undefined);
        setRefusal(r);
      }
    } catch (err) {
      setRefusal(unexpected(err));
    } finally {
      setBusy(false);
    }
  }

  const tokens = view ? view.slots.flatMap((s) => (s.token?.initialized ? [s.token] : [])) : [];
  // Every key of every token; a key the request asks for carries its signer's name and is listed first.
  const entries = tokens.flatMap((t) => t.keys.map((k) => ({ t, k, signer: k.fingerprint ? wanted?.find((w) => w.sha256 === k.fingerprint!.sha256)?.name : undefined })));

  function row({ t, k, signer }: (typeof entries)[number]) {
    const id = `${t.serial}/${k.label}`;
    return (
      <label key={id} className={signer ? 'rotation-pick rotation-pick-wanted' : 'rotation-pick'}>
        <input
          type="radio"
          name={`${name}-key`}
          value={id}
          checked={picked === id}
          disabled={!k.fingerprint}
          onChange={() => {
            setPicked(id);
            if (listed && view) onPick({ module: listed, token: t, key: k, rehearsal: view.rehearsal });
          }}
        />{' '}
        {signer ? <strong className="picker-signer">{signer}’s key: </strong> : null}
        Token “{t.label}” serial <code>{t.serial}</code> — key “{k.label}”
        {k.algorithm ? ` (${algorithmTitle(k.algorithm)})` : ''}
        {k.fingerprint ? <span className="fp-cell-words"> {groupWords(k.fingerprint.words)}</span> : <span className="muted"> {k.problem ?? 'unreadable'}</span>}
      </label>
    );
  }
  return (
    <div className="token-key-picker">
      <fieldset className="module-options" disabled={disabled || busy}>
        <legend>PKCS#11 module</legend>
        {MODULES.map((m) => (
          <label key={m.id} className="module-option">
            <input type="radio" name={`${name}-module`} value={m.id} checked={choice === m.id} onChange={() => setChoice(m.id)} /> {m.title}
          </label>
        ))}
      </fieldset>
      {choice === 'custom' ? (
        <p className="field">
          <button type="button" onClick={() => void chooseFile()} disabled={disabled || busy}>
            Choose module file…
          </button>{' '}
          {chosenFile ? <code>{chosenFile.path}</code> : <span className="muted">the token maker’s PKCS#11 library (.so, .dylib or .dll)</span>}
        </p>
      ) : null}
      <div className="buttons">
        <button type="button" onClick={() => void list()} disabled={disabled || busy || !module}>
          List tokens
        </button>
      </div>
      {refusal ? <RefusalPanel refusal={refusal} title="Could not list the tokens" level={3} reassure="Nothing was changed on any token." /> : null}
      {view ? (
        <fieldset className="token-keys-choice" disabled={disabled}>
          <legend>Key on a token</legend>
          {tokens.length === 0 ? <p className="empty">No initialised token is plugged in.</p> : null}
          {tokens
            .filter((t) => t.keys.length === 0)
            .map((t) => (
              <p key={t.serial} className="muted">
                Token “{t.label}” (serial {t.serial}) shows no public key.
              </p>
            ))}
          {wanted && entries.some((e) => e.signer) ? <p className="picker-group">Keys this request asks for:</p> : null}
          {entries.filter((e) => e.signer).map(row)}
          {wanted && entries.some((e) => e.signer) && entries.some((e) => !e.signer) ? <p className="picker-group muted">Other keys (this request has no use for them):</p> : null}
          {wanted && entries.length > 0 && !entries.some((e) => e.signer) ? <p className="picker-group">None of the keys on these tokens is one this request asks for.</p> : null}
          {entries.filter((e) => !e.signer).map(row)}
          {view.rehearsal ? <p className="rehearsal-badge">REHEARSAL ONLY: software tokens, not hardware.</p> : null}
        </fieldset>
      ) : null}
    </div>
  );
}
