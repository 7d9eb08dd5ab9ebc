#!/usr/bin/env node
// `npm test`: provides what the selected tests run against (PostgreSQL, NATS with JetStream,
// Debian's Chromium, the mediasoup worker; see tools/dev/provision.mjs), builds dist/ (the
// end-to-end suite runs the built apps, as `npm start` does), then runs the Jest projects (unit,
// integration, e2e). Extra arguments go to Jest, e.g. `npm test -- --selectProjects unit`.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { localMachine, ProvisionError, provisionForTests } from '../dev/provision.mjs';

const root = resolve(import.meta.dirname, '../..');
const jestArgs = process.argv.slice(2);
const step = (args) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

try {
  await provisionForTests(localMachine(), { jestArgs });
} catch (error) {
  if (!(error instanceof ProvisionError)) throw error;
  console.error(`\x1b[31m[boomerang]\x1b[0m ${error.message}`);
  process.exit(1);
}
step([join(root, 'tools/build/build.mjs')]);
step(['--experimental-vm-modules', join(root, 'node_modules/jest/bin/jest.js'), '--ci', ...jestArgs]);
