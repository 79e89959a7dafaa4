/**
 * The Co-sign screen's "Signed: response written" banner, for a token or share cards: where the response
 * went, then what the signing path has to say (`children`).
 */
import type { ReactNode } from 'react';

export function ResponseWritten({ path, children }: { path: string; children: ReactNode }) {
  return (
    <section className="banner banner-ok" role="status">
      <h2>
        <span className="icon" aria-hidden="true">
          ✓
        </span>{' '}
        Signed: response written
      </h2>
      <p className="message rotation-written">
        Written to <code>{path}</code>
      </p>
      {children}
    </section>
  );
}
