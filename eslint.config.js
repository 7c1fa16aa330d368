// @ts-check
import tseslint from 'typescript-eslint';

// Layers (DESIGN.md): capability folders never import fastify, a database driver,
// node:http or node:fs; core imports nothing with I/O.
const ioModules = ['fastify', 'fastify/*', '@fastify/*', 'pg', 'kysely', '@electric-sql/*', 'node:fs', 'node:fs/*', 'node:http', 'node:https', 'node:net'];
const layerRule = {
  'no-restricted-imports': ['error', { patterns: [{ group: ioModules, message: 'capability and core code state a port; store/ or server/ fulfil it (STYLE.md)' }] }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/dist/**', '.trustplane/**', 'coverage/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**', 'src/crypto/**', 'src/pki/**', 'src/enrollment/**', 'src/ledger/**', 'src/updates/**', 'src/access/**', 'src/attestation/**', 'src/compliance/**', 'src/vulns/**', 'src/article14/**', 'src/ssh/**'],
    ignores: ['**/*.test.ts', 'src/**/testing/**'],
    rules: layerRule,
  },
  {
    // Tests read JSON answers as `any` on purpose: the assertions are the type check.
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
