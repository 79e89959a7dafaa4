/**
 * Tokens: choose a PKCS#11 module (YubiKey ykcs11, OpenSC, SoftHSM2, or a library file picked in the app's
 * own file dialog — the screen never names a path: main loads only presets and files picked there), list its slots
 * and tokens — label, serial, maker, PIN status, the key types each can make, the keys it shows without a
 * PIN — and generate a key on a token. The token is checked again (still inserted, same serial) before
 * the PIN dialog opens; the dialog names the token; the new key's fingerprint is shown large, in words
 * to read aloud and in hex.
 */
import { useRef, useState } from 'react';
import type { GeneratedKeyView, KeyAlgorithmName, ModulePresetName, ModuleRef, TokenModuleView, TokenSlotView, TokenView } from '../../../electron/shared/api-types.js';
import { FingerprintCell, FingerprintReadout } from '../components/Fingerprint';
import { useReveal } from '../lib/reveal';
import { PinDialog } from '../components/PinDialog';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { chooseModuleFile, sameModule, type ChosenModule } from '../lib/modules';
import { algorithmTitle, pinStatusText } from '../lib/format';

type ModuleChoice = ModulePresetName | 'custom';

const MODULES: { id: ModuleChoice; title: string; note: string }[] = [
  { id: 'ykcs11', title: 'YubiKey', note: 'Yubico ykcs11 (PIV); needs pcscd running' },
  { id: 'opensc', title: 'OpenSC', note: 'Nitrokey HSM, SmartCard-HSM and other smart cards' },
  { id: 'softhsm2', title: 'SoftHSM2', note: 'software tokens: rehearsals and tests only' },
  { id: 'custom', title: 'Another PKCS#11 library', note: 'its .so, .dylib or .dll, chosen in a file dialog' },
];

type Listing =
  | { state: 'idle' }
  | { state: 'busy'; module: ModuleRef }
  | { state: 'done'; module: ModuleRef; view: TokenModuleView }
  | { state: 'refused'; module: ModuleRef; refusal: Refusal };

export function TokensScreen() {
  const [choice, setChoice] = useState<ModuleChoice>('ykcs11');
  const [chosenFile, setChosenFile] = useState<ChosenModule | undefined>();
  const [chooseRefusal, setChooseRefusal] = useState<Refusal | undefined>();
  const [listing, setListing] = useState<Listing>({ state: 'idle' });
  /** A key inventory (key-inventory.json beside a ceremony's outputs): what each key signs for (issue #17). */
  const [inventory, setInventory] = useState<{ name: string; bytes: Uint8Array } | undefined>();
  const requestNo = useRef(0);

  async function chooseFile() {
    const r = await chooseModuleFile();
    setChooseRefusal(r.refusal);
    if (r.chosen) setChosenFile(r.chosen);
  }

  async function list(module: ModuleRef, quiet = false) {
    const no = ++requestNo.current;
    if (!quiet) setListing({ state: 'busy', module });
    const api = ceremonyApi();
    let result;
    try {
      result = api ? await api.tokensList({ module, ...(inventory ? { inventory: inventory.bytes } : {}) }) : NO_BRIDGE;
    } catch (err) {
      result = unexpected(err);
    }
    if (no !== requestNo.current) return;
    setListing(result.ok ? { state: 'done', module, view: result.value } : { state: 'refused', module, refusal: result });
  }

  const module: ModuleRef | undefined = choice === 'custom' ? (chosenFile ? { chosen: chosenFile.chosen } : undefined) : choice;
  const busy = listing.state === 'busy';
  const view = listing.state === 'done' ? listing.view : undefined;
  const tokens = view ? view.slots.filter((s) => s.token?.initialized) : [];

  return (
    <div className="screen tokens">
      <header className="screen-head">
        <h1>Tokens</h1>
        <p className="lede">
          Choose the kind of token, list what is plugged in, and generate keys on a token. Listing needs no PIN; the PIN is
          asked only when a key is made, in a dialog that names the token first.
        </p>
      </header>

      <section className="panel module-choice" aria-labelledby="module-title">
        <h2 id="module-title">Module</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (module) void list(module);
          }}
        >
          <fieldset className="module-options">
            <legend className="sr-only">PKCS#11 module</legend>
            {MODULES.map((m) => (
              <label key={m.id} className={`module-option${choice === m.id ? ' chosen' : ''}`}>
                <input type="radio" name="module" value={m.id} checked={choice === m.id} onChange={() => setChoice(m.id)} disabled={busy} />
                <span className="module-title">{m.title}</span>
                <span className="module-note">{m.note}</span>
              </label>
            ))}
          </fieldset>
          {choice === 'custom' ? (
            <p className="custom-path">
              <button type="button" onClick={() => void chooseFile()} disabled={busy}>
                Choose module file…
              </button>{' '}
              {chosenFile ? (
                <span className="chosen-module">
                  <span className="opened-label">Library</span> <code>{chosenFile.path}</code>
                </span>
              ) : (
                <span className="muted">The app loads and runs this library: choose only the driver your token’s maker ships.</span>
              )}
            </p>
          ) : null}
          {chooseRefusal ? <RefusalPanel refusal={chooseRefusal} title="That file cannot be used as a module" level={3} /> : null}
          <p className="inventory-file">
            <label>
              Key inventory (optional, <code>key-inventory.json</code> from a ceremony):{' '}
              <input
                type="file"
                accept=".json,application/json"
                aria-label="Key inventory file"
                disabled={busy}
                onChange={(e) => {
                  const file = e.currentTarget.files?.[0];
                  if (!file) return setInventory(undefined);
                  void file.arrayBuffer().then((b) => setInventory({ name: file.name, bytes: new Uint8Array(b) }));
                }}
              />
            </label>{' '}
            {inventory ? <span className="muted">each key’s roles come from {inventory.name}</span> : null}
          </p>
          <div className="buttons">
            <button type="submit" className="primary" disabled={busy || !module}>
              {view && listing.state === 'done' && sameModule(listing.module, module) ? 'List tokens again' : 'List tokens'}
            </button>
          </div>
        </form>
      </section>

      <div aria-live="polite" className="live">
        {busy ? (
          <p className="busy">
            <span className="spinner" aria-hidden="true" /> Loading the module and reading the tokens…
          </p>
        ) : null}
      </div>

      {listing.state === 'refused' ? <RefusalPanel refusal={listing.refusal} title="Could not list the tokens" reassure="Nothing was changed on any token." /> : null}

      {listing.state === 'done' && view ? (
        <>
          <section className="module-summary" aria-label="Module loaded">
            <p>
              <span className="opened-label">Module</span> <code>{view.path}</code>
            </p>
            <p className="muted">
              {view.manufacturer} · {view.description} {view.libraryVersion} · {view.slots.length} slot{view.slots.length === 1 ? '' : 's'}, {tokens.length} token
              {tokens.length === 1 ? '' : 's'}
            </p>
            {view.rehearsal ? (
              <p className="rehearsal-badge">
                <span aria-hidden="true">⚠ </span>REHEARSAL ONLY: software tokens, not hardware. Keys made here must never protect a real repository.
              </p>
            ) : null}
          </section>
          {view.slots.length === 0 ? <p className="empty">This module sees no slot at all: is the token or reader plugged in?</p> : null}
          <div className="token-list">
            {view.slots.map((slot, i) =>
              slot.token?.initialized ? (
                <TokenCard
                  key={`t-${i}-${slot.token.serial}-${slot.token.label}`}
                  token={slot.token}
                  slot={slot}
                  module={listing.module}
                  rehearsal={view.rehearsal}
                  piv={view.preset === 'ykcs11' || /yubico/i.test(slot.token.manufacturer)}
                  onChanged={() => void list(listing.module, true)}
                />
              ) : (
                <OtherSlot key={`s-${i}`} slot={slot} index={i} />
              ),
            )}
          </div>
        </>
      ) : null}

      {listing.state === 'idle' ? <p className="empty">Nothing listed yet. Plug in the token, choose its module, and list the tokens.</p> : null}
    </div>
  );
}

/** A slot without a usable token: an empty reader, a free (uninitialised) token, or one that cannot be read. */
function OtherSlot({ slot, index }: { slot: TokenSlotView; index: number }) {
  let text: string;
  if (slot.token && !slot.token.initialized) text = 'A token that is not initialised yet (free). Initialise it with its vendor’s tool first (SoftHSM2: softhsm2-util --init-token).';
  else if (slot.problem) text = `A token that cannot be read (${slot.problem}). Plug it in again, then list the tokens again.`;
  else text = 'Empty: no token in this reader.';
  return (
    <section className="slot-other" aria-label={`Slot ${index + 1}`}>
      <p>
        <span className="opened-label">Slot {index + 1}</span> {slot.description ? <span className="muted">({slot.description})</span> : null}
      </p>
      <p>{text}</p>
    </section>
  );
}

type Phase =
  | { step: 'idle' }
  | { step: 'form' }
  | { step: 'checking' }
  | { step: 'pin'; token: TokenView; notice?: string }
  | { step: 'generating' }
  | { step: 'made'; key: GeneratedKeyView }
  | { step: 'refused'; refusal: Refusal; canRetry: boolean };

// A first check while typing; main refuses the same set (src/json/fields.ts UNSHOWN_CHARS).
const LABEL_PROBLEM = /[\p{Cc}\p{Default_Ignorable_Code_Point}\u2028\u2029\ud800-\udfff]/u;

/** YubiKey PIV slots by the CKA_ID ykcs11 maps to them (FIELD-NOTES). */
const PIV_SLOTS: { id: string; title: string }[] = [
  { id: '01', title: '9a — PIV Authentication' },
  { id: '02', title: '9c — Digital Signature (PIN before every signature)' },
  { id: '03', title: '9d — Key Management' },
  { id: '04', title: '9e — Card Authentication (no PIN: not for ceremony keys)' },
  ...Array.from({ length: 20 }, (_, i) => ({ id: (5 + i).toString(16).padStart(2, '0'), title: `${(0x82 + i).toString(16)} — Retired Key Management ${i + 1}` })),
];

interface TokenCardProps {
  token: TokenView;
  slot: TokenSlotView;
  module: ModuleRef;
  rehearsal: boolean;
  /** A YubiKey (ykcs11): the key ID chooses the PIV slot. */
  piv: boolean;
  onChanged: () => void;
}

/** One token: what it is, its keys, and key generation. `onChanged` re-lists (a key made, a PIN try counted). */
function TokenCard({ token, slot, module, rehearsal, piv, onChanged }: TokenCardProps) {
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [algorithm, setAlgorithm] = useState<KeyAlgorithmName | undefined>(token.keyTypes.includes('ecdsa-p256') ? 'ecdsa-p256' : token.keyTypes[0]);
  const [keyLabel, setKeyLabel] = useState('');
  const [pivSlot, setPivSlot] = useState('01');
  const [labelError, setLabelError] = useState<string | undefined>();
  // Serials repeat on some modules (tpm2-pkcs11, NSS: 0000000000000000): the pair names the token.
  const titleId = `token-${encodeURIComponent(`${token.serial}-${token.label}`)}-title`;
  const chosenAlgorithm = algorithm && token.keyTypes.includes(algorithm) ? algorithm : token.keyTypes[0];
  const ref = { serial: token.serial, label: token.label };
  const pivTitle = piv ? PIV_SLOTS.find((p) => p.id === pivSlot)?.title.split(' — ')[0] : undefined;
  const purpose = chosenAlgorithm ? `generate an ${algorithmTitle(chosenAlgorithm)} key labelled “${keyLabel.trim()}” on it${pivTitle ? `, in PIV slot ${pivTitle}` : ''}` : '';
  const locked = token.pinStatus === 'locked';
  const cannot = locked
    ? 'The PIN of this token is locked: unblock it with the PUK or SO PIN (YubiKey: ykman piv access unblock-pin), then list the tokens again.'
    : token.pinStatus === 'to-be-changed'
      ? 'The PIN of this token must be changed with its vendor’s tool before it can be used.'
      : token.pinStatus === 'not-initialized'
        ? 'This token has no user PIN yet: set one with its vendor’s tool first.'
        : token.protectedAuthenticationPath
          ? 'This token takes its PIN on its own keypad, which this build does not drive yet.'
          : token.keyTypes.length === 0
            ? 'This token cannot make any key type the ceremony uses.'
            : undefined;

  /** Before the PIN dialog: the token is still there, is the same one, and its PIN is not locked. */
  async function askPin(notice?: string) {
    const label = keyLabel.trim();
    if (!label) return setLabelError('Give the key a label.');
    if (label.length > 64) return setLabelError('A key label is at most 64 characters.');
    if (LABEL_PROBLEM.test(label)) return setLabelError('A key label cannot contain control characters.');
    setLabelError(undefined);
    setPhase({ step: 'checking' });
    const api = ceremonyApi();
    let result;
    try {
      result = api ? await api.tokensCheck({ module, token: ref }) : NO_BRIDGE;
    } catch (err) {
      result = unexpected(err);
    }
    if (!result.ok) return setPhase({ step: 'refused', refusal: result, canRetry: false });
    const fresh = result.value.token;
    if (fresh.pinStatus === 'locked') {
      return setPhase({
        step: 'refused',
        refusal: { ok: false, code: 'PIN_LOCKED', message: `The PIN of token “${fresh.label}” (serial ${fresh.serial}) is locked; no PIN was asked.` },
        canRetry: false,
      });
    }
    setPhase({ step: 'pin', token: fresh, ...(notice ? { notice } : {}) });
  }

  async function generate(pin: string) {
    if (!chosenAlgorithm) return;
    setPhase({ step: 'generating' });
    const api = ceremonyApi();
    let result;
    try {
      // The PIN goes straight into the one request that uses it, and nowhere else.
      const request = { module, token: ref, algorithm: chosenAlgorithm, keyLabel: keyLabel.trim(), ...(piv ? { keyId: pivSlot } : {}) };
      result = api ? await api.tokensGenerateKey({ ...request, pin }) : NO_BRIDGE;
    } catch (err) {
      result = unexpected(err);
    }
    if (result.ok) {
      setPhase({ step: 'made', key: result.value });
      setKeyLabel('');
      onChanged();
    } else {
      setPhase({ step: 'refused', refusal: result, canRetry: result.code === 'PIN_INCORRECT' });
      // A wrong PIN costs a try: show what the token now says about the PIN.
      if (result.code === 'PIN_INCORRECT' || result.code === 'PIN_LOCKED') onChanged();
    }
  }

  const busy = phase.step === 'checking' || phase.step === 'generating';
  return (
    <section className="token-card" aria-labelledby={titleId}>
      <header className="token-head">
        <h2 id={titleId}>
          <span className="token-kind">Token</span> “{token.label || '(no label)'}”
        </h2>
        <p className="token-serial">
          <span className="opened-label">Serial</span> <code className="serial-no">{token.serial}</code>
          {token.serialUnique === false ? <span className="serial-shared"> — serial not unique on this module: the label names this token</span> : null}
        </p>
        {token.software ? (
          <p className="rehearsal-badge software-token">
            SOFTWARE TOKEN ({token.software}): its keys are kept in files on this computer, not in hardware — for rehearsals, or a plan that allows software tokens.
          </p>
        ) : null}
        <p className={`pin-status pin-${token.pinStatus}`}>
          <span aria-hidden="true">{token.pinStatus === 'ok' ? '● ' : token.pinStatus === 'locked' ? '✗ ' : '⚠ '}</span>
          {pinStatusText(token.pinStatus)}
        </p>
      </header>
      <dl className="facts">
        <div>
          <dt>Maker</dt>
          <dd>{token.manufacturer || '—'}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>{token.model || '—'}</dd>
        </div>
        <div>
          <dt>Slot</dt>
          <dd>{slot.description || '—'}</dd>
        </div>
        <div className="facts-wide">
          <dt>Can make</dt>
          <dd>{token.keyTypes.length ? token.keyTypes.map((k) => (k === 'rsa-pss-sha256' && token.rsaMaxBits ? `RSA-PSS (up to ${token.rsaMaxBits} bits)` : algorithmTitle(k))).join(', ') : 'no key type the ceremony uses'}</dd>
        </div>
      </dl>

      <h3 className="keys-title">Keys on this token</h3>
      {token.keysProblem ? <p className="keys-problem">The keys could not be listed: {token.keysProblem}</p> : null}
      {token.keys.length ? (
        <table className="keys token-keys" aria-label={`Keys on token ${token.label}`}>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Type</th>
              <th scope="col">Fingerprint</th>
              <th scope="col">ID</th>
              {token.keys.some((k) => k.roles) ? <th scope="col">Signs for</th> : null}
            </tr>
          </thead>
          <tbody>
            {token.keys.map((k, i) => (
              <tr key={`${k.id}-${i}`}>
                <td className="holder">{k.label || <span className="muted">(no label)</span>}</td>
                <td className="type">{k.algorithm ? algorithmTitle(k.algorithm) : <span className="muted">not usable</span>}</td>
                <td className="fp">{k.fingerprint ? <FingerprintCell fingerprint={k.fingerprint} /> : <span className="muted">{k.problem ?? '—'}</span>}</td>
                <td className="id">
                  <code className="keyid" title={k.id}>
                    {k.id.length > 12 ? `${k.id.slice(0, 8)}…` : k.id || '—'}
                  </code>
                </td>
                {k.roles ? (
                  <td className="roles">
                    {k.custodian ? <div>custodian {k.custodian}</div> : null}
                    {k.roles.length ? k.roles.map((line) => <div key={line}>{line}</div>) : <span className="muted">not in the inventory</span>}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : token.keysProblem ? null : (
        <p className="muted">No keys visible without the PIN. (Some tokens show their keys only after login.)</p>
      )}

      {cannot ? <p className="token-cannot">{cannot}</p> : null}

      {!cannot && (phase.step === 'idle' || phase.step === 'made') ? (
        <div className="buttons">
          <button type="button" onClick={() => setPhase({ step: 'form' })}>
            Generate a key on this token…
          </button>
        </div>
      ) : null}

      {!cannot && phase.step !== 'idle' && phase.step !== 'made' ? (
        <form
          className="generate-form"
          aria-label={`Generate a key on token ${token.label}`}
          onSubmit={(e) => {
            e.preventDefault();
            void askPin();
          }}
        >
          <h3>Generate a key</h3>
          <div className="form-grid">
            <label htmlFor={`${titleId}-alg`}>Key type</label>
            <select id={`${titleId}-alg`} value={chosenAlgorithm} onChange={(e) => setAlgorithm(e.currentTarget.value as KeyAlgorithmName)} disabled={busy}>
              {token.keyTypes.map((k) => (
                <option key={k} value={k}>
                  {algorithmTitle(k)}
                </option>
              ))}
            </select>
            <label htmlFor={`${titleId}-label`}>Key label</label>
            <input
              id={`${titleId}-label`}
              type="text"
              value={keyLabel}
              maxLength={64}
              placeholder="e.g. root-custodian-1"
              spellCheck={false}
              autoComplete="off"
              aria-invalid={labelError ? true : undefined}
              aria-describedby={`${titleId}-label-hint`}
              onChange={(e) => setKeyLabel(e.currentTarget.value)}
              disabled={busy}
            />
            {piv ? (
              <>
                <label htmlFor={`${titleId}-piv`}>PIV slot</label>
                <select id={`${titleId}-piv`} value={pivSlot} onChange={(e) => setPivSlot(e.currentTarget.value)} disabled={busy}>
                  {PIV_SLOTS.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.title}
                    </option>
                  ))}
                </select>
              </>
            ) : null}
          </div>
          <p id={`${titleId}-label-hint`} className={labelError ? 'field-error' : 'muted'}>
            {labelError ?? 'Labels are never reused on a token. The key is made on the token and never leaves it.'}
          </p>
          <div className="buttons">
            <button type="submit" className="primary" disabled={busy}>
              Generate key…
            </button>
            <button type="button" className="secondary" onClick={() => setPhase({ step: 'idle' })} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}

      <div aria-live="polite" className="live">
        {phase.step === 'checking' ? (
          <p className="busy">
            <span className="spinner" aria-hidden="true" /> Checking the token is still there…
          </p>
        ) : null}
        {phase.step === 'generating' ? (
          <div className="busy generating">
            <progress aria-label="Generating the key on the token" />
            <span>
              Generating the key on the token and checking it{chosenAlgorithm === 'rsa-pss-sha256' ? ' (RSA keys can take a minute)' : ''}…
            </span>
          </div>
        ) : null}
      </div>

      {phase.step === 'pin' ? (
        <PinDialog
          token={phase.token}
          purpose={purpose}
          submitLabel="Use PIN and generate key"
          rehearsal={rehearsal}
          {...(phase.notice ? { notice: phase.notice } : {})}
          onSubmit={(pin) => void generate(pin)}
          onCancel={() => setPhase({ step: 'form' })}
        />
      ) : null}

      {phase.step === 'refused' ? (
        <RefusalPanel refusal={phase.refusal} level={3} title={phase.refusal.code === 'PIN_INCORRECT' ? 'Wrong PIN' : 'The key was not made'} reassure={reassurance(phase.refusal.code)}>
          {phase.canRetry ? (
            <div className="buttons">
              <button type="button" className="primary" onClick={() => void askPin('The last PIN was not accepted. Check it before trying again.')}>
                Try the PIN again…
              </button>
              <button type="button" className="secondary" onClick={() => setPhase({ step: 'idle' })}>
                Stop
              </button>
            </div>
          ) : null}
        </RefusalPanel>
      ) : null}

      {phase.step === 'made' ? <NewKey made={phase.key} /> : null}
    </section>
  );
}

function reassurance(code: string): string | null {
  switch (code) {
    case 'PIN_INCORRECT':
    case 'PIN_LOCKED':
    case 'TOKEN_NOT_PRESENT':
    case 'TOKEN_KEY_NOT_FOUND':
    case 'MECHANISM_UNSUPPORTED':
    case 'KEY_LABEL_EXISTS':
    case 'KEY_ID_EXISTS':
    case 'TOKEN_MODULE_NOT_FOUND':
    case 'TOKEN_MODULE_INVALID':
      return 'No key was made.';
    default:
      return null;
  }
}

function NewKey({ made }: { made: GeneratedKeyView }) {
  const titleId = `new-key-${made.fingerprint.hex}`;
  const ref = useReveal<HTMLElement>(made.fingerprint.hex);
  return (
    <section className="new-key" role="status" aria-labelledby={titleId} ref={ref}>
      <h3 id={titleId}>
        <span className="icon" aria-hidden="true">
          ✓
        </span>{' '}
        New key made on token “{made.token.label}” (serial {made.token.serial})
      </h3>
      <p className="new-key-what">
        {algorithmTitle(made.algorithm)} key labelled <strong>“{made.label}”</strong>.{' '}
        {made.selfTest === 'verified'
          ? 'The token signed a test message, and the signature verified with the public key read back from it.'
          : 'This key asks for the PIN before every signature, so no test signature was made.'}
      </p>
      {made.rehearsal ? <p className="rehearsal-badge">REHEARSAL KEY: made on a software token; never use it for a real repository.</p> : null}
      <FingerprintReadout fingerprint={made.fingerprint} />
      <dl className="facts key-ids">
        <div className="facts-wide">
          <dt>TUF key ID</dt>
          <dd>
            <code className="keyid">{made.keyIds.tuf}</code>
          </dd>
        </div>
        <div className="facts-wide">
          <dt>Notary key ID</dt>
          <dd>
            <code className="keyid">{made.keyIds.notary}</code> <span className="muted">(as a root key, its certificate gets another ID)</span>
          </dd>
        </div>
      </dl>
    </section>
  );
}
