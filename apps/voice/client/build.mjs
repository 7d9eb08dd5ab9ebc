// Bundles the reference web client (web/main.ts with graphql-ws and mediasoup-client) into
// dist/apps/voice/client/web/app.js; index.html and style.css are copied there by tools/build.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Rebuilds only when a client source is newer than the bundle, like the rest of tools/build. */
export async function bundleVoiceClient(root, outDir) {
  const sources = join(root, 'apps/voice/client');
  const output = join(outDir, 'apps/voice/client/web/app.js');
  const newest = Math.max(...[...walk(sources)].map((file) => statSync(file).mtimeMs));
  if (existsSync(output) && statSync(output).mtimeMs >= newest) return false;
  await build({
    entryPoints: [join(sources, 'web/main.ts')],
    outfile: output,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  return true;
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (/\.(ts|html|css)$/.test(name)) yield path;
  }
}
