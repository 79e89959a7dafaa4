/**
 * The only door to the core: the preload's narrow API (electron/shared/api-types.ts). Optional, because
 * a page opened outside the app (or before the preload ran) has no bridge; the screens say so.
 */
import type { TufCeremonyApi } from '../../electron/shared/api-types.js';

declare global {
  interface Window {
    tufCeremony?: TufCeremonyApi;
  }
}

// Chromium's directory picker attributes, passed through to the DOM by React. (Merging requires the
// same type parameter name as React's declaration, hence the unused `T`.)
declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface InputHTMLAttributes<T> {
    webkitdirectory?: string;
    directory?: string;
  }
}

export {};
