#!/usr/bin/env node
// Compiles every TypeScript file under apps/, libs/ and tools/ to dist/ with SWC (seconds, not
// minutes, on two cores). Type checking is `npm run typecheck`; this step only transpiles.
// Only files newer than their output are recompiled, so repeated runs are nearly free.
import { transformFile } from '@swc/core';
import { readFileSync, readdirSync, statSync, mkdirSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = join(root, 'dist');
const sourceRoots = ['apps', 'libs', 'tools'];
const skip = /(^|\/)(node_modules|dist|files)(\/|$)|\.(spec|integration-spec|e2e-spec)\.ts$|\.d\.ts$/;
const copied = /\.(graphql|html|css|js|mjs|json)$/;

const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
const options = { ...swcrc, swcrc: false };
const aliases = Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => [
  alias,
  join(root, target).replace(/\.ts$/, '.js'),
]);

/** Rewrites `@boomerang/...` imports to relative paths inside dist/ (Node resolves no TS paths). */
function rewriteAliases(code, target) {
  return code.replace(/(from\s+|import\s*\(\s*|import\s+)(['"])(@boomerang\/[^'"]+)\2/g, (match, head, quote, specifier) => {
    const found = aliases.find(([alias]) => alias === specifier);
    if (!found) throw new Error(`${target}: unknown workspace import ${specifier}`);
    let rel = relative(dirname(target), join(outDir, relative(root, found[1])));
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `${head}${quote}${rel}${quote}`;
  });
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = relative(root, path);
    if (skip.test(rel)) continue;
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

const isNewer = (source, target) => !existsSync(target) || statSync(source).mtimeMs > statSync(target).mtimeMs;

let compiled = 0;
const jobs = [];
for (const top of sourceRoots) {
  if (!existsSync(join(root, top))) continue;
  for (const file of walk(join(root, top))) {
    const rel = relative(root, file);
    if (file.endsWith('.ts')) {
      const target = join(outDir, rel.replace(/\.ts$/, '.js'));
      if (!isNewer(file, target)) continue;
      jobs.push(
        transformFile(file, { ...options, filename: file, sourceFileName: relative(dirname(target), file) }).then((out) => {
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, rewriteAliases(out.code, target) + `\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
          if (out.map) writeFileSync(target + '.map', out.map);
          compiled++;
        }),
      );
    } else if (copied.test(file) && !rel.startsWith('tools/build/')) {
      const target = join(outDir, rel);
      if (!isNewer(file, target)) continue;
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
    }
  }
}
await Promise.all(jobs);
// The voice app's reference web client is a browser bundle, not a Node module.
const { bundleVoiceClient } = await import('../../apps/voice/client/build.mjs');
if ((await bundleVoiceClient(root, outDir)) && !process.env.BUILD_QUIET) console.log('build: bundled the voice web client');
if (compiled > 0 && !process.env.BUILD_QUIET) console.log(`build: compiled ${compiled} file(s) to dist/`);
