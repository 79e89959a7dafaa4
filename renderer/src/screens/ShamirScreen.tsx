/**
 * Shamir (PRODUCT.md §2.2, §3): share cards of a software key.
 *
 * - Roll-call: a custodian types (or opens) their card; main checks every group check, the card check,
 *   the version and, when given, the split and key expected, and shows the card's public fields and the
 *   key's fingerprint as words — or the refusal, which locates the mistyped group or character. Nothing
 *   is rebuilt.
 * - Verify the key: M cards entered one by one (each checked with the ones before it), then main rebuilds
 *   the key in memory, compares it with the fingerprint the cards record, and wipes it. The key is never
 *   shown or written.
 * - Split: not here. A key is split when it is made, inside the root ceremony, whose shamir-backup step
 *   lists the key in root.json and prints the cards (src/ceremony/steps/shamir-backup.ts); a key split
 *   anywhere else would have no root to belong to.
 *
 * Secrets: the card text lives in the text areas until it is checked; a card file's bytes are zeroed once
 * sent. The accepted cards are held by main, never here: the screen keeps the set's handle and public
 * view; verifying uses the set once, and "Start again" or leaving the screen has main wipe it.
 */
import { useRef, useState } from 'react';
import type { ShamirCardInput, ShamirRollCallView, ShamirVerifyView } from '../../../electron/shared/api-types.js';
import { FingerprintReadout } from '../components/Fingerprint';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { isRefusal, readPickedFile } from '../rotation/files';
import { CARD_MAX_BYTES, CardEntry, TYPING_MISTAKES, useShareSet, wipeCardInput } from '../shamir/CardEntry';
import { CardFields } from '../shamir/CardFields';
import '../shamir/shamir.css';

type RollCall = { step: 'idle' } | { step: 'checking' } | { step: 'valid'; view: ShamirRollCallView } | { step: 'refused'; refusal: Refusal };
type Verify = { step: 'idle' } | { step: 'verifying' } | { step: 'match'; view: ShamirVerifyView } | { step: 'refused'; refusal: Refusal };

/** One card seen at this roll-call: its share index, and its number K when its file says (`share-card-K-of-N.txt`). */
interface TalliedCard {
  index: number;
  number: number | undefined;
  source: string;
}

/** The roll-call of one split: every card checked so far, to account for all N (issue #16). */
interface Tally {
  splitId: string;
  shares: number;
  threshold: number;
  cards: TalliedCard[];
}

/** K of a card file named as the ceremony writes it, when its N is the split's. */
function cardNumberOf(source: string, shares: number): number | undefined {
  const m = /share-card-(\d+)-of-(\d+)\.txt$/.exec(source);
  if (!m || Number(m[2]) !== shares) return undefined;
  const k = Number(m[1]);
  return k >= 1 && k <= shares ? k : undefined;
}

function tallied(prev: Tally | undefined, card: ShamirRollCallView['card']): Tally {
  const base = prev && prev.splitId === card.splitId ? prev : { splitId: card.splitId, shares: card.shares, threshold: card.threshold, cards: [] };
  if (base.cards.some((c) => c.index === card.index)) return base;
  const entry = { index: card.index, number: cardNumberOf(card.source, card.shares), source: card.source };
  return { ...base, cards: [...base.cards, entry] };
}

function RollCallTally({ tally }: { tally: Tally }) {
  const rows = Array.from({ length: tally.shares }, (_, i) => i + 1);
  const unnumbered = tally.cards.filter((c) => c.number === undefined);
  const left = tally.shares - tally.cards.length;
  return (
    <section className="panel roll-tally" aria-labelledby="shamir-tally-h">
      <h3 id="shamir-tally-h">
        Roll-call of split {tally.splitId}: {tally.cards.length} of {tally.shares} cards checked
      </h3>
      <p className="muted">
        Any {tally.threshold} of the {tally.shares} cards rebuild the key. {left === 0 ? 'Every card of this split is accounted for.' : `${left} ${left === 1 ? 'card is' : 'cards are'} not yet checked.`}
      </p>
      <ul className="tally" aria-label="Cards of this split">
        {rows.map((k) => {
          const c = tally.cards.find((x) => x.number === k);
          return (
            <li key={k} className={c ? 'tally-ok' : 'tally-open'}>
              Card {k} of {tally.shares}: {c ? `checked (share index ${c.index})` : unnumbered.length ? 'no card file with this number checked' : 'not yet checked'}
            </li>
          );
        })}
      </ul>
      {unnumbered.length ? <p>Checked from typed text (their card number is on the printed card): share index {unnumbered.map((c) => c.index).join(', ')}.</p> : null}
    </section>
  );
}

export function ShamirScreen() {
  const api = ceremonyApi();
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [expectSplit, setExpectSplit] = useState('');
  const [expectFp, setExpectFp] = useState('');
  const [roll, setRoll] = useState<RollCall>({ step: 'idle' });
  const [tally, setTally] = useState<Tally | undefined>();
  const [set, setSet] = useShareSet();
  const [verify, setVerify] = useState<Verify>({ step: 'idle' });

  async function rollCall(card: ShamirCardInput, typed: boolean) {
    if (!api) return setRoll({ step: 'refused', refusal: NO_BRIDGE });
    setRoll({ step: 'checking' });
    const expected = { ...(expectSplit.trim() ? { splitId: expectSplit.trim() } : {}), ...(expectFp.trim() ? { fingerprint: expectFp.trim() } : {}) };
    try {
      const r = await api.shamirRollCall(Object.keys(expected).length ? { card, expected } : { card });
      if (r.ok) {
        // Checked: the text leaves the screen; it is kept after a typing mistake only, to be corrected.
        setText('');
        setRoll({ step: 'valid', view: r.value });
        setTally((prev) => tallied(prev, r.value.card));
      } else {
        if (typed && !TYPING_MISTAKES.includes(r.code)) setText('');
        setRoll({ step: 'refused', refusal: r });
      }
    } catch (err) {
      setRoll({ step: 'refused', refusal: unexpected(err) });
    } finally {
      // Sent once: the copy this page read from a card file is zeroed, whatever the answer.
      wipeCardInput(card);
    }
  }

  async function openCard(input: HTMLInputElement) {
    const f = await readPickedFile(input, CARD_MAX_BYTES);
    if (!f) return;
    if (isRefusal(f)) return setRoll({ step: 'refused', refusal: f });
    await rollCall({ file: f }, false);
  }

  async function verifyKey() {
    if (!api || !set?.complete) return;
    setVerify({ step: 'verifying' });
    try {
      const r = await api.shamirVerify({ set: set.set });
      setVerify(r.ok ? { step: 'match', view: r.value } : { step: 'refused', refusal: r });
    } catch (err) {
      setVerify({ step: 'refused', refusal: unexpected(err) });
    } finally {
      // Used once: main wiped the set whatever the answer.
      setSet(undefined);
    }
  }

  const checking = roll.step === 'checking';
  return (
    <div className="screen shamir">
      <header className="screen-head">
        <h1>Shamir</h1>
        <p className="lede">Check a share card without rebuilding anything (roll-call), or check that a set of cards rebuilds the key they record. The key is never shown or written; the cards’ share data never leaves this computer.</p>
      </header>
      {!api ? <RefusalPanel refusal={NO_BRIDGE} title="Not connected" reassure={null} reveal={false} /> : null}

      <section className="panel" aria-labelledby="shamir-roll-h">
        <h2 id="shamir-roll-h">Roll-call: check one card</h2>
        <p className="muted">Each group of the share data ends in a check character, and the card check covers every field: a mistyped character is found and its place named. Nothing is rebuilt.</p>
        <label className="field">
          <span>Card text: type or paste the whole card</span>
          <textarea className="card-text" aria-label="Card text" value={text} onChange={(e) => setText(e.currentTarget.value)} spellCheck={false} autoComplete="off" autoCorrect="off" autoCapitalize="off" disabled={checking} />
        </label>
        <label className="field">
          <span>Expected split (optional, from the ceremony record)</span>
          <input type="text" aria-label="Expected split" value={expectSplit} onChange={(e) => setExpectSplit(e.currentTarget.value)} spellCheck={false} autoComplete="off" />
        </label>
        <label className="field">
          <span>Expected key fingerprint (optional, 64 hex digits)</span>
          <input type="text" aria-label="Expected key fingerprint" value={expectFp} onChange={(e) => setExpectFp(e.currentTarget.value)} spellCheck={false} autoComplete="off" />
        </label>
        <div className="buttons">
          <button type="button" className="primary" disabled={checking || text.trim() === ''} onClick={() => void rollCall({ text }, true)}>
            Check this card
          </button>
          <button type="button" className="secondary" disabled={checking} onClick={() => fileInput.current?.click()}>
            Check a card file…
          </button>
        </div>
        <input ref={fileInput} type="file" accept=".txt,text/plain" hidden aria-label="Card file to check" onChange={(e) => void openCard(e.currentTarget)} />
        {roll.step === 'valid' ? (
          <section className="banner banner-ok" role="status" aria-label="Roll-call result">
            <h3>
              <span className="icon" aria-hidden="true">
                ✓
              </span>{' '}
              {(() => {
                const k = cardNumberOf(roll.view.card.source, roll.view.card.shares);
                return k !== undefined
                  ? `Valid card: card ${k} of ${roll.view.card.shares}, share index ${roll.view.card.index} of split ${roll.view.card.splitId}`
                  : `Valid card: share index ${roll.view.card.index} of split ${roll.view.card.splitId}`;
              })()}
            </h3>
            <p>{roll.view.status}.</p>
            <CardFields card={roll.view.card} />
            <p>
              {roll.view.checked.split && roll.view.checked.fingerprint
                ? 'The split and the key are the ones expected.'
                : `Compare the ${roll.view.checked.split ? 'key fingerprint' : roll.view.checked.fingerprint ? 'split' : 'split and the key fingerprint'} with the ceremony record.`}
            </p>
            <FingerprintReadout fingerprint={roll.view.card.fingerprint} />
          </section>
        ) : null}
        {roll.step === 'refused' ? <RefusalPanel refusal={roll.refusal} title="Card refused" level={3} reassure="Nothing was rebuilt. Correct the card text and check it again." /> : null}
        {tally ? <RollCallTally tally={tally} /> : null}
      </section>

      <section className="panel" aria-labelledby="shamir-verify-h">
        <h2 id="shamir-verify-h">Recover: verify the key</h2>
        <p className="muted">Enter the cards one by one. When there are enough, the key is rebuilt in memory, compared with the fingerprint the cards record, and wiped at once: it is never shown, exported or written.</p>
        <CardEntry
          name="shamir-verify"
          set={set}
          disabled={verify.step === 'verifying'}
          onChange={(s) => {
            setSet(s);
            if (s) setVerify({ step: 'idle' });
          }}
        />
        <div className="buttons">
          <button type="button" className="primary" disabled={!set?.complete || verify.step === 'verifying'} onClick={() => void verifyKey()}>
            Verify the key
          </button>
        </div>
        {verify.step === 'verifying' ? (
          <p className="busy" aria-live="polite">
            <progress aria-label="Verifying the key" /> Rebuilding the key in memory and comparing its fingerprint…
          </p>
        ) : null}
        {verify.step === 'match' ? (
          <section className="banner banner-ok" role="status" aria-label="Verify result">
            <h3>
              <span className="icon" aria-hidden="true">
                ✓
              </span>{' '}
              The key matches
            </h3>
            <p>{verify.view.status}.</p>
            <FingerprintReadout fingerprint={verify.view.fingerprint} />
          </section>
        ) : null}
        {verify.step === 'refused' ? <RefusalPanel refusal={verify.refusal} title="The key was not verified" level={3} reassure="Nothing was signed or written; anything rebuilt was wiped." /> : null}
      </section>

      <section className="panel" aria-labelledby="shamir-split-h">
        <h2 id="shamir-split-h">Split: inside the root ceremony</h2>
        <p>
          A key is split into share cards when it is made, inside the root ceremony: a plan with a <code>shamir</code> section (threshold, number of cards, key type) has the
          ceremony generate the backup root key in memory, list its public key in root.json, split it and print one card per custodian, then wipe it. The cards are its only copies.
          Print them from the Root ceremony screen.
        </p>
        <p className="muted">
          This screen does not split keys: a key split here would belong to no root. For a stand-alone software key, <code>tuf-ceremony shamir split</code> writes the cards and its public key file.
        </p>
      </section>
    </div>
  );
}
