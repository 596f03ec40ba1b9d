import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // Lambda code: classic zod puts ~450 KB into every bundle, and zod/mini alone has no locale.
    files: ['functions/**/*.ts', 'shared/**/*.ts'],
    ignores: ['shared/zod.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^zod(/.*)?$', message: 'import zod through shared/zod.ts (zod/mini, English messages)' },
          ],
        },
      ],
    },
  },
);
