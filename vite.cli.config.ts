/**
 * The `tuf-ceremony` CLI as users run it (bin/tuf-ceremony.js): the compiled core (dist/src, from
 * `tsc -p tsconfig.build.json`) bundled by Vite (its bundler, rolldown) into dist/cli/, one chunk per command module and
 * shared chunks between them — the lazy command loading of src/cli/program.ts is kept (each dynamic
 * import is its own chunk). Why (issue #18): `verify` of a metadata folder loaded ≈ 50 ES modules and
 * commander's 7 CommonJS files, each resolved (realpath), read, compiled and linked on its own; a dozen
 * chunks cost measurably less CPU per process. The electron app and the tests that import modules keep
 * using dist/src.
 *
 * What stays outside the bundle: every npm package but commander (the one the read-only commands load),
 * so packages with native addons, WebAssembly files or load-time side effects are loaded by Node exactly
 * as before. Relative `import.meta.url` uses (createRequire, `new URL('./x', import.meta.url)`: a worker
 * file, a data file) keep pointing where the module's own file is in dist/src: see keepModuleUrl.
 */
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const OUT = `${ROOT}dist${sep}cli`;
const SRC = `${ROOT}dist${sep}src${sep}`;
const BUNDLED_PACKAGES = new Set(['commander']);

/**
 * In a chunk, `import.meta.url` is the chunk's URL (dist/cli/x-HASH.js), not the module's (dist/src/…/x.js):
 * a path resolved against it would point into dist/cli. Each use is replaced by the module's own URL,
 * computed from the chunk's at run time (all chunks are written flat into dist/cli), so the bundle can be
 * moved with its dist/ folder and every relative path still resolves as in dist/src.
 */
function keepModuleUrl(): Plugin {
  return {
    name: 'keep-module-url',
    transform(code, id) {
      if (!id.startsWith(SRC) || !code.includes('import.meta')) return null;
      if (/import\.meta\.(dirname|filename)/.test(code)) this.error(`${id}: use import.meta.url (kept by vite.cli.config.ts), not import.meta.dirname/filename`);
      const own = relative(OUT, id).split(sep).join('/');
      return { code: code.replaceAll('import.meta.url', `new URL(${JSON.stringify(own)}, import.meta.url).href`), map: null };
    },
  };
}

export default defineConfig({
  // Vite's bundler (rolldown) in server mode: Node builtins stay imports, nothing is rewritten for a browser.
  publicDir: false,
  logLevel: 'warn',
  plugins: [keepModuleUrl()],
  ssr: { noExternal: [...BUNDLED_PACKAGES], target: 'node' },
  build: {
    ssr: `${ROOT}dist/src/cli/main.js`,
    outDir: OUT,
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: 'node20',
    rolldownOptions: {
      external: (id: string) => {
        if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false;
        const name = id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]!;
        return !BUNDLED_PACKAGES.has(name);
      },
      output: { format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
});
