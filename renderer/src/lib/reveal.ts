/**
 * Outcomes in view (issue #16, "outcomes land out of view and focus is lost"): when an outcome appears
 * after a person's action — a refusal, a failed step, a key made, a response written — the panel is
 * scrolled into view and focus moves to its heading, so the reason and the next control (Resume, Try
 * again) are in front of the custodian and a screen reader reads the outcome first (WCAG 2.4.3).
 */
import { useEffect, useRef, type RefObject } from 'react';

/** Scroll `el` into view (centred when it fits, else from its top) and focus its first heading. */
export function reveal(el: HTMLElement): void {
  const heading = el.querySelector<HTMLElement>('h1, h2, h3, h4') ?? el;
  // Headings are not focusable by default; -1 makes them focusable by script only (not in the Tab order).
  if (!heading.hasAttribute('tabindex')) heading.tabIndex = -1;
  const fits = el.getBoundingClientRect().height <= window.innerHeight - 16;
  el.scrollIntoView({ block: fits ? 'center' : 'start', behavior: 'instant' as ScrollBehavior });
  heading.focus({ preventScroll: true });
}

/**
 * A ref for an outcome's container: whenever `key` changes to a non-empty value (a new outcome), the
 * container is revealed. The key is a string so a re-render with the same outcome (polling) does not
 * move focus again.
 */
export function useReveal<T extends HTMLElement>(key: string | undefined | false): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (!key || !ref.current) return;
    reveal(ref.current);
  }, [key]);
  return ref;
}
