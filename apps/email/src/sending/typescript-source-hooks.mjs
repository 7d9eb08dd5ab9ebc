// Module hooks that let a worker thread started from the sources (specs) import TypeScript:
// `./x.js` from a .ts file resolves to `./x.ts` when only that exists, and .ts files are
// transpiled by SWC with the workspace's .swcrc (as Jest and the build do). Relative imports only.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';

function swcOptions() {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const swcrc = join(dir, '.swcrc');
    if (existsSync(swcrc)) return { ...JSON.parse(readFileSync(swcrc, 'utf8')), swcrc: false, sourceMaps: 'inline' };
  }
  throw new Error('typescript-source-hooks: no .swcrc above this file');
}

const options = swcOptions();

export async function resolve(specifier, context, next) {
  if (context.parentURL?.endsWith('.ts') && /^\.{1,2}\/.*\.js$/.test(specifier)) {
    const source = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(source)) && !existsSync(fileURLToPath(new URL(specifier, context.parentURL)))) return { url: source.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const filename = fileURLToPath(url);
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  return { format: 'module', source: code, shortCircuit: true };
}
