// Lint, including the import-boundary rules of STYLE.md ("who may import whom"), so nobody has to
// remember them: src/ is pure core, the preload sees only electron + the IPC contract, the renderer
// reaches the core only through the preload API.
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'fs/promises', 'net', 'http', 'https', 'child_process', 'dgram', 'tls', 'worker_threads'].flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/io/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeIo, 'electron', 'react', 'react-dom'].map((name) => ({
            name,
            message: 'src/ is the pure core: file-system, network and process access live in src/io/ (STYLE.md).',
          })),
          patterns: [
            { group: ['**/electron/**', '**/renderer/**'], message: 'src/ must not import electron/ or renderer/.' },
            { group: ['graphene-pk11', 'pkcs11js'], message: 'Only src/signers/pkcs11/ may name graphene-pk11.' },
          ],
        },
      ],
    },
  },
  {
    // The one place that may name graphene-pk11 (STYLE.md): same boundary otherwise.
    files: ['src/signers/pkcs11/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeIo, 'electron', 'react', 'react-dom'].map((name) => ({
            name,
            message: 'src/ is the pure core: file-system, network and process access live in src/io/ (STYLE.md).',
          })),
          patterns: [{ group: ['**/electron/**', '**/renderer/**'], message: 'src/ must not import electron/ or renderer/.' }],
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'react', 'react-dom'].map((name) => ({ name, message: 'The CLI is core + commander only.' })),
          patterns: [{ group: ['**/electron/**', '**/renderer/**'], message: 'The CLI must not import electron/ or renderer/.' }],
        },
      ],
    },
  },
  {
    files: ['electron/preload/**/*.ts', 'electron/preload/**/*.cts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src/**', '**/main/**', '**/renderer/**'], message: 'The preload imports only electron and electron/shared.' },
            { group: ['node:*', 'fs', 'path', 'child_process'], message: 'The preload has no Node access (sandbox: true).' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', ...nodeIo, 'graphene-pk11'].map((name) => ({
            name,
            message: 'The renderer reaches the core only through window.tufCeremony (the preload API).',
          })),
          patterns: [
            { group: ['**/electron/main/**', '**/electron/preload/**'], message: 'The renderer may import only types from electron/shared.' },
            { group: ['node:*'], message: 'The renderer has no Node access.' },
          ],
        },
      ],
    },
  },
  {
    // The renderer may import type-only modules from src/ and electron/shared; value imports are refused
    // by the test in test/unit/boundaries.test.ts, which also checks imports are `import type`.
    files: ['renderer/**/*.tsx', 'renderer/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'error' },
  },
);
