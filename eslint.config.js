// ESLint flat config: recommended JavaScript and TypeScript rules, plus the import boundaries of the architecture.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist/', 'node_modules/', 'release/', 'test/output/', '.stryker-tmp/', 'reports/']),
  {
    files: ['main/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.tsx'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // A leading underscore marks a value that is deliberately unused (e.g. `{ [name]: _removed, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    // Everything outside main/app/ runs under plain Node: the CLI, the credential helper and the tests share it.
    files: ['main/**/*.ts'],
    ignores: ['main/app/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only main/app/ may import electron.' }] }],
    },
  },
  {
    // The page knows Berth only through window.berth: it may import the bridge contract's types and nothing else of main/.
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'node:fs', 'node:child_process'],
          patterns: [
            { regex: '/main/(?!api/bridge-contract\\.js$)', message: 'The renderer imports only the bridge contract.' },
            { group: ['**/main/api/bridge-contract.js'], allowTypeImports: true, message: 'The renderer imports only types from the bridge contract.' },
          ],
        },
      ],
    },
  },
]);
