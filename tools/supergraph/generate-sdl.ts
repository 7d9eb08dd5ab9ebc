// Prints every subgraph's SDL by booting its built app with `--print-schema` and writes
// apps/<name>/schema.graphql. With --check it writes nothing and fails when a committed SDL
// differs from what the code produces (drift).
//   npm run schema:generate             (build, then write)
//   node dist/tools/supergraph/generate-sdl.js --check
//   node dist/tools/supergraph/generate-sdl.js workspace profiles   (only these apps)
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { hasDrift, printAll } from './sdl.js';
import { discoverSubgraphs, REPO_ROOT } from './subgraphs.js';

const args = process.argv.slice(2);
const checkOnly = args.includes('--check');
const only = args.filter((arg) => !arg.startsWith('--'));
const discovered = discoverSubgraphs();
const unknown = only.filter((name) => !discovered.some((subgraph) => subgraph.name === name));
if (unknown.length) {
  console.log(`schema:generate: not a subgraph app: ${unknown.join(', ')} (subgraphs: ${discovered.map((subgraph) => subgraph.name).join(', ')})`);
  process.exit(1);
}
const subgraphs = only.length ? discovered.filter((subgraph) => only.includes(subgraph.name)) : discovered;
if (!subgraphs.length) {
  console.log('schema:generate: no subgraph apps found (apps/<name>/src/main.ts)');
  process.exit(0);
}

console.log(`schema:generate: printing ${subgraphs.length} subgraph(s): ${subgraphs.map((subgraph) => subgraph.name).join(', ')}`);
const printed = await printAll(subgraphs);
const failed = printed.filter((entry) => entry.error);
const drifted = printed.filter(hasDrift);

for (const entry of printed) {
  const file = relative(REPO_ROOT, entry.subgraph.schemaPath);
  if (entry.error) console.log(`  ✖ ${entry.subgraph.name}: ${entry.error.message.replace(/\n/g, '\n      ')}`);
  else if (!hasDrift(entry)) console.log(`  ✔ ${file} is up to date`);
  else if (checkOnly) console.log(`  ✖ ${file} ${entry.committed === undefined ? 'is missing' : 'differs from the code'}`);
  else {
    writeFileSync(entry.subgraph.schemaPath, entry.sdl!);
    console.log(`  ✎ ${file} ${entry.committed === undefined ? 'written' : 'updated'}`);
  }
}

if (failed.length) console.log(`schema:generate: ${failed.length} subgraph(s) could not print their schema (are PostgreSQL and NATS up?)`);
if (checkOnly && drifted.length) {
  console.log(`schema:generate --check: SDL drift in ${drifted.map((entry) => entry.subgraph.name).join(', ')}; run \`npm run schema:generate\` and commit the result`);
}
process.exit(failed.length || (checkOnly && drifted.length) ? 1 : 0);
