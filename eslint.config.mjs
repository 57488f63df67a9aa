// Lint rules the project holds itself to (run by `npm run lint` and CI):
// typescript-eslint's recommended type-checked set (type information from
// tsconfig.json through the project service), type imports written as such,
// no import cycles between modules, TSDoc syntax in src/ doc comments,
// functions of at most 80 lines and lines of at most 120 columns. Formatting
// itself is prettier's job (.prettierrc.json).
import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import tsdoc from 'eslint-plugin-tsdoc';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'docs/api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js', '.mjs'] } } },
    rules: {
      'import/no-cycle': 'error',
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Doc comments in the library are TSDoc (TypeDoc builds the API reference from them): their syntax is checked.
    files: ['src/**/*.ts'],
    plugins: { tsdoc },
    rules: { 'tsdoc/syntax': 'error' },
  },
  {
    // Tests are tables: a describe() block may be long; lines stay <= 120.
    files: ['test/**/*.ts'],
    rules: {
      'max-lines-per-function': 'off',
      // jest's asymmetric matchers (expect.objectContaining, stringMatching, any) are typed `any` in @types/jest:
      // every expectation that nests one is an "unsafe" any to these two rules, and nothing else in tests is.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'max-len': ['error', { code: 120 }] },
  },
);
