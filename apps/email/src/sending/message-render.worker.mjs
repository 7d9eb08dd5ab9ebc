// Entry of a render thread (see render-threads.ts). From dist/ it runs the compiled thread; from
// the sources (specs) it first registers a TypeScript loader for this thread, as Jest's transform
// does not reach worker threads.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const compiled = new URL('./message-render.thread.js', import.meta.url);
if (existsSync(fileURLToPath(compiled))) await import(compiled.href);
else {
  register('./typescript-source-hooks.mjs', import.meta.url);
  await import(new URL('./message-render.thread.ts', import.meta.url).href);
}
