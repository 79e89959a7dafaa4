/**
 * Where a new root key comes from (issue #5): a key on a token plugged into this machine — its public key
 * exported by the token layer; for a Notary root key a fresh self-signed certificate (CN = the GUN) is
 * made with the key on the token, so its PIN is asked in the PIN dialog — or a public key file as
 * `tuf-ceremony tokens export` writes it (the key's custodian made it on their own machine).
 */
import { useRef, useState } from 'react';
import type { CeremonyProfileName, RotationNewKeyView } from '../../../electron/shared/api-types.js';
import { PinDialog } from '../components/PinDialog';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { CAPS, isRefusal, readPickedFile } from './files';
import { TokenKeyPicker, type PickedKey } from './TokenKeyPicker';
import { groupWords } from '../lib/format';

interface Props {
  /** Distinguishes the radio groups of several choosers on one screen. */
  name: string;
  profile: CeremonyProfileName;
  /** Notary: the GUN, the new certificate's CN. */
  gun: string;
  chosen: RotationNewKeyView | undefined;
  onChosen: (key: RotationNewKeyView | undefined) => void;
}

export function NewKeyChooser({ name, profile, gun, chosen, onChosen }: Props) {
  const [source, setSource] = useState<'token' | 'file'>('token');
  const [picked, setPicked] = useState<PickedKey | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [pin, setPin] = useState<{ notice?: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const api = ceremonyApi();

  async function fromToken(pinText?: string) {
    if (!picked || !api) return;
    setBusy(true);
    setRefusal(undefined);
    try {
      const req = { module: picked.module, token: { serial: picked.token.serial, label: picked.token.label }, keyLabel: picked.key.label, profile, ...(profile === 'notary' ? { gun } : {}) };
      // Notary: the PIN goes straight into the one request that makes the certificate.
      const r = await api.rotationKeyFromToken(pinText !== undefined ? { ...req, pin: pinText } : req);
      if (r.ok) onChosen(r.value);
      else {
        setRefusal(r);
        if (r.code === 'PIN_INCORRECT') setPin({ notice: 'The last PIN was not accepted. Check it before trying again.' });
      }
    } catch (err) {
      setRefusal(unexpected(err));
    } finally {
      setBusy(false);
    }
  }

  async function fromFile(input: HTMLInputElement) {
    const f = await readPickedFile(input, CAPS.key);
    if (!f) return;
    setRefusal(undefined);
    if (isRefusal(f)) return setRefusal(f);
    try {
      const r = api ? await api.rotationKeyFromFile({ profile, key: f }) : NO_BRIDGE;
      if (r.ok) onChosen(r.value);
      else setRefusal(r);
    } catch (err) {
      setRefusal(unexpected(err));
    }
  }

  if (chosen) {
    return (
      <div className="new-key-chosen">
        <p>
          New key <code title={chosen.keyid}>{chosen.keyid.slice(0, 12)}…</code> ({chosen.keytype}
          {chosen.token ? `, key “${chosen.keyLabel}” on token “${chosen.token.label}” serial ${chosen.token.serial}` : `, from ${chosen.keyFile.name}`})
        </p>
        <p className="fp-cell-words">Fingerprint: {groupWords(chosen.fingerprint.words)}</p>
        {chosen.certificate ? <p className="muted">Certificate {chosen.certificate.subject}, valid to {chosen.certificate.notAfter}</p> : null}
        <button type="button" className="secondary" onClick={() => onChosen(undefined)}>
          Choose another key
        </button>
      </div>
    );
  }
  return (
    <div className="new-key-chooser">
      <fieldset className="module-options">
        <legend>New key from</legend>
        <label className="module-option">
          <input type="radio" name={`${name}-source`} checked={source === 'token'} onChange={() => setSource('token')} /> a token on this machine
        </label>
        <label className="module-option">
          <input type="radio" name={`${name}-source`} checked={source === 'file'} onChange={() => setSource('file')} /> a public key file
        </label>
      </fieldset>
      {source === 'token' ? (
        <>
          <TokenKeyPicker name={`${name}-token`} disabled={busy} onPick={setPicked} />
          <div className="buttons">
            <button type="button" disabled={!picked || busy} onClick={() => (profile === 'notary' ? setPin({}) : void fromToken())}>
              Use this key{profile === 'notary' ? '…' : ''}
            </button>
          </div>
        </>
      ) : (
        <div className="buttons">
          <button type="button" onClick={() => fileInput.current?.click()}>
            Public key file…
          </button>
          <input ref={fileInput} type="file" accept=".json,application/json" hidden aria-label="Public key file" onChange={(e) => void fromFile(e.currentTarget)} />
        </div>
      )}
      {refusal ? <RefusalPanel refusal={refusal} title="Key not taken" level={3} reassure="Nothing was changed." /> : null}
      {pin && picked ? (
        <PinDialog
          token={picked.token}
          purpose={`make the Notary root certificate (CN ${gun}) with key “${picked.key.label}”`}
          submitLabel="Make the certificate"
          rehearsal={picked.rehearsal}
          {...(pin.notice ? { notice: pin.notice } : {})}
          onSubmit={(p) => {
            setPin(undefined);
            void fromToken(p);
          }}
          onCancel={() => setPin(undefined)}
        />
      ) : null}
    </div>
  );
}
