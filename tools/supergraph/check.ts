// The schema gate CI runs before a subgraph ships: (1) every committed SDL matches its code,
// (2) the subgraphs compose, (3) the client-facing API has no breaking change against the
// committed supergraph, and (4) the committed supergraph is the composed one.
//   npm run schema:check
//   node dist/tools/supergraph/check.js [--allow-breaking] [--skip-generate]
// --allow-breaking (or SCHEMA_ALLOW_BREAKING=1) accepts breaking changes deliberately;
// --skip-generate composes the committed SDLs without booting the apps.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { composeSupergraph, diffApiSchemas } from './composition.js';
import { hasDrift, printAll } from './sdl.js';
import { discoverSubgraphs, REPO_ROOT, supergraphPath } from './subgraphs.js';

const allowBreaking = process.argv.includes('--allow-breaking') || process.env.SCHEMA_ALLOW_BREAKING === '1';
const skipGenerate = process.argv.includes('--skip-generate');

interface Step {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}
const steps: Step[] = [];
const step = (name: string, ok: boolean, detail: string, lines: readonly string[] = []) => {
  steps.push({ name, ok, detail });
  console.log(`${ok ? '✔' : '✖'} ${name}: ${detail}`);
  for (const line of lines) console.log(`    ${line}`);
};

const subgraphs = discoverSubgraphs();
console.log(`schema:check: ${subgraphs.length} subgraph(s): ${subgraphs.map((subgraph) => subgraph.name).join(', ') || '(none)'}`);

// 1. SDL drift: the SDL each app prints now against its committed schema.graphql.
const sdlByName = new Map<string, string>();
for (const subgraph of subgraphs) {
  if (existsSync(subgraph.schemaPath)) sdlByName.set(subgraph.name, readFileSync(subgraph.schemaPath, 'utf8'));
}
if (skipGenerate) {
  const missing = subgraphs.filter((subgraph) => !sdlByName.has(subgraph.name)).map((subgraph) => `apps/${subgraph.name}/schema.graphql is missing`);
  step('SDL drift', missing.length === 0, missing.length ? 'committed SDL missing; run `npm run schema:generate`' : 'skipped (--skip-generate); using committed SDLs', missing);
} else {
  const printed = await printAll(subgraphs);
  const failures = printed.filter((entry) => entry.error).map((entry) => `${entry.subgraph.name}: ${entry.error!.message.split('\n').join('\n      ')}`);
  const drifted = printed.filter(hasDrift).map((entry) => `apps/${entry.subgraph.name}/schema.graphql ${entry.committed === undefined ? 'is missing' : 'differs from the code'}`);
  for (const entry of printed) if (entry.sdl) sdlByName.set(entry.subgraph.name, entry.sdl);
  const ok = failures.length === 0 && drifted.length === 0;
  step(
    'SDL drift',
    ok,
    ok ? 'every committed SDL matches its code' : failures.length ? 'some apps could not print their schema (are PostgreSQL and NATS up?)' : 'run `npm run schema:generate` and commit the result',
    [...failures, ...drifted],
  );
}

// 2. Composition of the SDLs the code produces (committed ones where an app could not print).
const composable = subgraphs.filter((subgraph) => sdlByName.has(subgraph.name));
const outcome = composeSupergraph(composable.map((subgraph) => ({ name: subgraph.name, url: subgraph.url, sdl: sdlByName.get(subgraph.name)! })));
if (outcome.ok) step('composition', true, `${composable.length} subgraph(s) compose (${outcome.hints.length} hint(s))`);
else step('composition', false, `${outcome.errors.length} error(s)`, outcome.errors.map((error) => `[${error.code}] ${error.message}`));

// 3 and 4. Against the committed supergraph: breaking API changes, then staleness.
const committedPath = supergraphPath();
const committedFile = relative(REPO_ROOT, committedPath);
if (outcome.ok) {
  if (!existsSync(committedPath)) {
    step('breaking changes', true, `no committed ${committedFile} to compare with`);
    step('committed supergraph', false, `${committedFile} is missing; run \`npm run schema:compose\` and commit it`);
  } else {
    const committed = readFileSync(committedPath, 'utf8');
    let diff: ReturnType<typeof diffApiSchemas> | undefined;
    try {
      diff = diffApiSchemas(committed, outcome.supergraphSdl);
    } catch (error) {
      step('breaking changes', false, `${committedFile} is not a valid supergraph: ${(error as Error).message}`);
    }
    if (diff) {
      const breaking = diff.breaking.map((change) => `[${change.type}] ${change.description}`);
      const dangerous = diff.dangerous.map((change) => `(dangerous) [${change.type}] ${change.description}`);
      if (!breaking.length) step('breaking changes', true, `none against ${committedFile}`, dangerous);
      else if (allowBreaking) step('breaking changes', true, `${breaking.length} allowed by --allow-breaking / SCHEMA_ALLOW_BREAKING=1`, [...breaking, ...dangerous]);
      else {
        step('breaking changes', false, `${breaking.length} against ${committedFile} (clients may break; pass --allow-breaking or SCHEMA_ALLOW_BREAKING=1 if intended)`, [
          ...breaking,
          ...dangerous,
        ]);
      }
    }
    const upToDate = committed === outcome.supergraphSdl;
    step('committed supergraph', upToDate, upToDate ? `${committedFile} is up to date` : `${committedFile} is out of date; run \`npm run schema:compose\` and commit it`);
  }
}

const failed = steps.filter((entry) => !entry.ok);
console.log(
  failed.length
    ? `schema:check: FAILED (${failed.map((entry) => entry.name).join(', ')}); ${steps.length - failed.length}/${steps.length} checks passed`
    : `schema:check: OK; ${steps.length}/${steps.length} checks passed`,
);
process.exit(failed.length ? 1 : 0);
