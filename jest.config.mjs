// One Jest run over the whole workspace: unit specs beside the code, integration specs under
// each project's test/, end-to-end specs under apps/gateway-e2e. ESM throughout (NestJS 12 is
// ESM-only), transpiled by SWC.
import { readFileSync } from 'node:fs';

const { compilerOptions } = JSON.parse(readFileSync(new URL('./tsconfig.base.json', import.meta.url), 'utf8'));
const swcrc = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));

const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace(/\//g, '\\/')}$`] = `<rootDir>/${target.replace(/^\.\//, '')}`;
}

const base = {
  rootDir: import.meta.dirname,
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper,
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

export default {
  // Integration and e2e tests wait on real services; unit tests finish far inside this.
  testTimeout: 60_000,
  // Test files run in a worker that is replaced once it holds more than this after a file: ESM
  // module registries (vm modules) are kept per file, and one in-band process over every suite ran
  // out of heap (4 GB). Still one file at a time on a 2-core machine (maxWorkers stays cores - 1).
  workerIdleMemoryLimit: '1536MB',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.integration-spec.ts'],
    },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/apps/gateway-e2e/**/*.e2e-spec.ts'] },
  ],
};
