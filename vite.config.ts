import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer is a static bundle loaded from file:// by Electron (and served on loopback only in
// end-to-end tests). base './' keeps every asset path relative so no request leaves the bundle.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    // No inline <script> and no modulepreload polyfill: the CSP forbids inline scripts.
    modulePreload: { polyfill: false },
  },
});
