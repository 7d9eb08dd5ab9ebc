// ESLint 9 flat config: recommended JavaScript and TypeScript rules plus Nx module boundaries.
// Boundaries follow the project tags in each project.json:
//   apps (type:app)           -> shared libs only (contracts, platform), never another app
//   type:platform             -> type:platform, type:contracts
//   type:contracts            -> nothing of ours
//   type:testing              -> type:platform, type:contracts
//   type:testing is imported from test files only (specs, test/ folders, e2e suites).
//   e2e suites (type:e2e)     -> any shared lib
//   tools/ is not a project; only test files may import from it (the shared test platform).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import tseslint from 'typescript-eslint';

// The boundary rule reads Nx's cached project graph and silently skips itself without one;
// computing it here (incrementally, no daemon) makes a plain `eslint .` enforce boundaries.
process.env.NX_DAEMON ??= 'false';
const graph = await createProjectGraphAsync({ exitOnError: true });

const testFiles = ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts', 'apps/*-e2e/**/*.ts'];
const sourceFiles = ['**/*.ts', '**/*.mts', '**/*.cts'];

const everywhere = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['scope:shared'], notDependOnLibsWithTags: ['type:app'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:testing'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
];

const boundaries = (extra, { allowSelfImport = false, allow = [] } = {}) => ({
  '@nx/enforce-module-boundaries': [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow,
      // Tests may import their own lib through its public alias, as its users do.
      allowCircularSelfDependency: allowSelfImport,
      // Nx's lazy-loading check is for bundled front ends; here tests import modules dynamically
      // to load them after setting the environment.
      checkDynamicDependenciesExceptions: ['@boomerang/**'],
      // A platform lib's integration tests use the testing harness, which is built on that lib:
      // a cycle in the graph through test files only (production code may not import type:testing).
      ignoredCircularDependencies: Object.values(graph.nodes)
        .filter((node) => node.data.tags?.includes('type:platform'))
        .flatMap((platform) =>
          Object.values(graph.nodes)
            .filter((node) => node.data.tags?.includes('type:testing'))
            .map((testing) => [platform.name, testing.name]),
        ),
      depConstraints: [...everywhere, ...extra],
    },
  ],
});

export default defineConfig(
  globalIgnores(['**/dist/**', '**/node_modules/**', '**/coverage/**', '.nx/**', 'tmp/**', 'tools/generators/**/files/**']),
  js.configs.recommended,
  {
    // Plain JavaScript here is Node ESM scripts (tools/, config files).
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, 'readonly'])),
    },
  },
  {
    files: sourceFiles,
    extends: [tseslint.configs.recommended],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      ...boundaries([
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts'] },
        { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts'] },
      ]),
    },
  },
  {
    files: testFiles,
    rules: {
      ...boundaries([
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:testing'] },
        { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:testing'] },
      ], { allowSelfImport: true, allow: ['^(\\.\\./)+tools/dev/test-platform\\.js$', '^(\\.\\./)+tools/voice/call-client\\.js$'] }),
    },
  },
);
