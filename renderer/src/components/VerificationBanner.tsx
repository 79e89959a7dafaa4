import type { Inspection } from '../../../electron/shared/api-types.js';
import { explainCode, plainMessage } from '../lib/format';

interface Props {
  verified: Inspection['verified'];
  /** Name of the pinned trusted root, when the person pinned one. */
  pinned?: string;
  kind: Inspection['kind'];
}

/**
 * The verdict, first thing on the page. Three outcomes, worded so nobody mistakes one for another:
 * verified against *your* pin; only internally consistent (no pin: the chain is intact from the oldest
 * root in the directory, which proves nothing about whether that root is the right one); refused.
 */
export function VerificationBanner({ verified, pinned, kind }: Props) {
  if (!verified) {
    return (
      <section className="banner banner-none" role="status" aria-labelledby="banner-title">
        <h2 id="banner-title">
          <span className="icon" aria-hidden="true">
            ?
          </span>{' '}
          Not verified
        </h2>
        <p>
          {kind === 'metadata-file'
            ? 'A single file can be verified only against a root: pin a trusted root, or open the whole directory.'
            : 'No root was found to verify from. Pin a trusted root to verify.'}
        </p>
      </section>
    );
  }
  if (!verified.ok) {
    const { error } = verified;
    const explanation = explainCode(error.code);
    return (
      <section className="banner banner-bad" role="alert" aria-labelledby="banner-title">
        <h2 id="banner-title">
          <span className="icon" aria-hidden="true">
            ✗
          </span>{' '}
          REFUSED {pinned ? 'against your pinned root' : 'by the root chain'}
        </h2>
        <p className="code-line">
          <span className="code-label">Error code</span> <code className="code">{error.code}</code>
        </p>
        <p className="message">{plainMessage(error.message, error.path)}</p>
        {error.path ? (
          <p className="where">
            <span className="code-label">Where</span> <code>{error.path}</code>
          </p>
        ) : null}
        {explanation ? <p className="explain">{explanation}</p> : null}
      </section>
    );
  }
  if (pinned) {
    return (
      <section className="banner banner-ok" role="status" aria-labelledby="banner-title">
        <h2 id="banner-title">
          <span className="icon" aria-hidden="true">
            ✓
          </span>{' '}
          Verified against your pinned root
        </h2>
        <p>
          Every signature, threshold, version, expiry, length and hash checked, starting from <code>{pinned}</code>.
        </p>
      </section>
    );
  }
  return (
    <section className="banner banner-chain" role="status" aria-labelledby="banner-title">
      <h2 id="banner-title">
        <span className="icon" aria-hidden="true">
          ✓
        </span>{' '}
        Chain intact from the oldest root
      </h2>
      <p>
        Everything here is consistent and signed, starting from the oldest root in what you opened. That does not show
        the root itself is the right one: pin a trusted root to verify against it.
      </p>
    </section>
  );
}
