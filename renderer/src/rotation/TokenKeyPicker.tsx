/**
 * Choose a key on a token: a PKCS#11 module (preset or library path), its tokens and the public keys each
 * shows without a PIN (tokensList), one key picked by a radio button. No PIN here: the screens check the
 * choice against what they expect before any PIN dialog opens.
 */
import { useState } from 'react';
import type { ModulePresetName, TokenKeyView, TokenModuleView, TokenView } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { algorithmTitle } from '../lib/format';

export interface PickedKey {
  module: string;
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

export function TokenKeyPicker({ name, disabled, onPick }: { name: string; disabled?: boolean; onPick: (picked: PickedKey | undefined) => void }) {
  const [choice, setChoice] = useState<ModulePresetName | 'custom'>('ykcs11');
  const [path, setPath] = useState('');
  const [view, setView] = useState<TokenModuleView | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState<string | undefined>();
  const module = choice === 'custom' ? path.trim() : choice;

  async function list() {
    const api = ceremonyApi();
    setBusy(true);
    setRefusal(undefined);
    setPicked(undefined);
    onPick(undefined);
    try {
      const r = api ? await api.tokensList({ module }) : NO_BRIDGE;
      if (r.ok) setView(r.value);
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
        <label className="field">
          <span>Library path</span>
          <input type="text" value={path} onChange={(e) => setPath(e.currentTarget.value)} spellCheck={false} autoComplete="off" />
        </label>
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
          {tokens.map((t) =>
            t.keys.length === 0 ? (
              <p key={t.serial} className="muted">
                Token “{t.label}” (serial {t.serial}) shows no public key.
              </p>
            ) : (
              t.keys.map((k) => {
                const id = `${t.serial}/${k.label}`;
                return (
                  <label key={id} className="rotation-pick">
                    <input
                      type="radio"
                      name={`${name}-key`}
                      value={id}
                      checked={picked === id}
                      disabled={!k.fingerprint}
                      onChange={() => {
                        setPicked(id);
                        onPick({ module, token: t, key: k, rehearsal: view.rehearsal });
                      }}
                    />{' '}
                    Token “{t.label}” serial <code>{t.serial}</code> — key “{k.label}”
                    {k.algorithm ? ` (${algorithmTitle(k.algorithm)})` : ''}
                    {k.fingerprint ? <span className="fp-cell-words"> {k.fingerprint.words.join(' ')}</span> : <span className="muted"> {k.problem ?? 'unreadable'}</span>}
                  </label>
                );
              })
            ),
          )}
          {view.rehearsal ? <p className="rehearsal-badge">REHEARSAL ONLY: software tokens, not hardware.</p> : null}
        </fieldset>
      ) : null}
    </div>
  );
}
