import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Lambda code: classic zod puts ~450 KB into every bundle, and zod/mini alone has no locale. */
const ZOD = { regex: '^zod(/.*)?$', message: 'import zod through shared/zod.ts (zod/mini, English messages)' };

/** Production code never reaches the local runtime, the emulator, tests or benchmarks. */
const PRODUCTION = [
  { regex: '(^|/)(local|test|bench)/', message: 'production code must not import local/, test/ or bench/' },
  // A devDependency for bench/lib/proxied-fetch.ts; production code uses the runtime's global fetch.
  { regex: '^undici(/.*)?$', message: 'undici is a bench-only devDependency: use the global fetch' },
];

/**
 * The core decides and the ports do: it reads no configuration and imports no adapter, so it stays
 * deterministic and a new storage backend is an adapter and nothing else.
 */
const CORE = [
  { regex: '(^|/)config(\\.ts)?$', message: 'the core takes limits from its deps, never from config.ts' },
  {
    regex: '(^|/)(cos|sts|store|http|runtime)/',
    message: 'the core imports no adapter (cos, sts, store), no http and no runtime: use the ports',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'dist/', '.serverless/', 'coverage/', 'bench/.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Control characters are what the sanitizer and its tests are about.
      'no-control-regex': 'off',
    },
  },
  // Layers, enforced rather than hoped for. One rule entry per file set:
  // a later block's no-restricted-imports replaces an earlier one's, so each set lists all it needs.
  {
    files: ['functions/**/*.ts', 'shared/**/*.ts'],
    ignores: ['shared/zod.ts', 'shared/core/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ZOD, ...PRODUCTION] }] },
  },
  {
    files: ['shared/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ZOD, ...PRODUCTION, ...CORE] }] },
  },
  {
    files: ['client/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: PRODUCTION }] },
  },
);
