/**
 * What the co-sign flows (CosignScreen for signing requests, CertificateCosign for certificate requests)
 * show while and after a token works: the "touch your YubiKey now" banner and a refusal whose wrong PIN
 * may be tried again. One copy, so the two flows say the same thing in the same words.
 */
import type { ReactNode } from 'react';
import { RefusalPanel } from '../components/RefusalPanel';
import type { Refusal } from '../lib/api';

interface TouchCheck {
  token: { serial: string };
  touch?: { policy: string; asks: boolean };
}

/** By the key's touch policy from its attestation (main: keyTouchPolicy); unknown counts as "touch". */
export function TouchNowBanner({ check }: { check: TouchCheck }): ReactNode {
  if (!check.touch?.asks) return null;
  return (
    <p className="touch-now" role="alert">
      <strong>Touch your YubiKey now</strong> (serial {check.token.serial}): it blinks until touched, for about 15 seconds
      {check.touch.policy === 'unknown' ? ' (its touch policy could not be read, so touch it if it blinks)' : ''}.
    </p>
  );
}

/** A refusal; after a wrong PIN on a key already checked, a button to ask for the PIN again. */
export function PinRetryRefusal({ refusal, title, reassure, canRetry, onRetry }: { refusal: Refusal; title: string; reassure: string; canRetry: boolean; onRetry: () => void }): ReactNode {
  return (
    <RefusalPanel refusal={refusal} title={title} level={3} reassure={reassure}>
      {canRetry && refusal.code === 'PIN_INCORRECT' ? (
        <div className="buttons">
          <button type="button" className="primary" onClick={onRetry}>
            Try the PIN again
          </button>
        </div>
      ) : null}
    </RefusalPanel>
  );
}
