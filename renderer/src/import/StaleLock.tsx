/**
 * After an install refused with IMPORT_LOCK_STALE: say in plain words what the lock is, and offer to
 * remove it. Main removes only the lock file the refused install named, and only if its owner is still
 * provably gone (src/trust-store/lock.ts removeStaleImportLock): a running import's lock is never removed.
 * The operator then installs again (the install also repairs what the interrupted one left).
 */
import { useState } from 'react';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';

type State = { step: 'offer' } | { step: 'removing' } | { step: 'removed'; message: string } | { step: 'refused'; refusal: Refusal };

export function StaleLockPanel() {
  const [state, setState] = useState<State>({ step: 'offer' });

  async function remove() {
    setState({ step: 'removing' });
    const api = ceremonyApi();
    let r;
    try {
      r = api ? await api.importRemoveStaleLock() : NO_BRIDGE;
    } catch (err) {
      r = unexpected(err);
    }
    setState(r.ok ? { step: 'removed', message: r.value.message } : { step: 'refused', refusal: r });
  }

  return (
    <section className="stale-lock" aria-labelledby="stale-lock-title">
      <h3 id="stale-lock-title">A stale import lock</h3>
      <p>
        Every import first takes a lock file in the trust directory, so two imports can never mix. An earlier import was stopped before it
        finished (its process is no longer running) and left its lock behind. Nothing is using it now. The app removes the lock only after
        checking again that its import is gone. It never removes the lock of an import that is still running.
      </p>
      {state.step === 'removed' ? (
        <p role="status" className="stale-lock-removed">
          {state.message}. Now install again.
        </p>
      ) : (
        <div className="buttons">
          <button type="button" onClick={() => void remove()} disabled={state.step === 'removing'}>
            Remove the stale lock
          </button>
        </div>
      )}
      {state.step === 'refused' ? <RefusalPanel refusal={state.refusal} title="The lock was not removed" level={3} reassure="Nothing was changed in the trust directory." /> : null}
    </section>
  );
}
