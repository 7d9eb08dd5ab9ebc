#!/usr/bin/env node
// `npm test`: builds dist/ (the end-to-end suite runs the built apps, as `npm start` does), then
// runs every Jest project (unit, integration, e2e) against the local PostgreSQL and NATS.
// Extra arguments go to Jest, e.g. `npm test -- --selectProjects unit`.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const step = (args) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
step([join(root, 'tools/build/build.mjs')]);
step(['--experimental-vm-modules', join(root, 'node_modules/jest/bin/jest.js'), '--ci', ...process.argv.slice(2)]);
