// Composes the committed subgraph SDLs (apps/<name>/schema.graphql) into
// supergraph/supergraph.graphql, each subgraph routed to its default URL (the gateway
// overrides them with SUBGRAPH_<NAME>_URL).
//   npm run schema:compose
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { composeSupergraph } from './composition.js';
import { discoverSubgraphs, REPO_ROOT, supergraphPath } from './subgraphs.js';

const verbose = process.argv.includes('--verbose');
const subgraphs = discoverSubgraphs();
const missing = subgraphs.filter((subgraph) => !existsSync(subgraph.schemaPath));
if (missing.length) {
  for (const subgraph of missing) console.log(`  ✖ ${relative(REPO_ROOT, subgraph.schemaPath)} is missing`);
  console.log('schema:compose: run `npm run schema:generate` first');
  process.exit(1);
}

const outcome = composeSupergraph(
  subgraphs.map((subgraph) => ({ name: subgraph.name, url: subgraph.url, sdl: readFileSync(subgraph.schemaPath, 'utf8') })),
);
if (!outcome.ok) {
  console.log(`schema:compose: composition failed with ${outcome.errors.length} error(s):`);
  for (const error of outcome.errors) console.log(`  ✖ [${error.code}] ${error.message}`);
  process.exit(1);
}

const target = supergraphPath();
const previous = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, outcome.supergraphSdl);
for (const subgraph of subgraphs) console.log(`  ✔ ${subgraph.name} → ${subgraph.url}`);
if (verbose) for (const hint of outcome.hints) console.log(`  hint [${hint.code}] ${hint.message}`);
const state = previous === undefined ? 'written' : previous === outcome.supergraphSdl ? 'unchanged' : 'updated';
console.log(
  `schema:compose: ${relative(REPO_ROOT, target)} ${state} (${subgraphs.length} subgraph(s), ${outcome.hints.length} hint(s)${verbose || !outcome.hints.length ? '' : '; --verbose prints them'})`,
);
