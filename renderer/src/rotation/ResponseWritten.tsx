/**
 * The Co-sign screen's "Signed: response written" banner, for a token or share cards: where the response
 * went, then what the signing path has to say (`children`).
 */
import type { ReactNode } from 'react';
import { useReveal } from '../lib/reveal';

/** `transcript`: the co-sign session transcript's file name, written beside the response (sealed by the signing key). */
export function ResponseWritten({ path, transcript, children }: { path: string; transcript?: string | undefined; children: ReactNode }) {
  const ref = useReveal<HTMLElement>(path);
  return (
    <section className="banner banner-ok" role="status" ref={ref}>
      <h2>
        <span className="icon" aria-hidden="true">
          ✓
        </span>{' '}
        Signed: response written
      </h2>
      <p className="message rotation-written">
        Written to <code>{path}</code>
      </p>
      {transcript ? (
        <p className="rotation-written">
          Session transcript beside it, sealed by the signing key: <code>{transcript}</code>
        </p>
      ) : null}
      {children}
    </section>
  );
}

/** The witnesses a response records (issue #16), when any were named. */
export function WitnessesRecorded({ witnesses }: { witnesses: readonly string[] }) {
  return witnesses.length ? <p>Witnesses recorded in the response: {witnesses.join(', ')}.</p> : null;
}
