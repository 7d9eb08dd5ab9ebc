// The schema gate CI runs before a subgraph ships: (1) every committed SDL matches its code,
// (2) the subgraphs compose, (3) the client-facing API has no breaking change against the
// committed supergraph, and (4) the committed supergraph is the composed one.
//   npm run schema:check
//   node dist/tools/supergraph/check.js [--base=<git ref>] [--allow-breaking] [--skip-generate]
// A breaking change passes only when tools/supergraph/accepted-breaking-changes.json lists it with
// a reason (reviewed with the change); --allow-breaking (or SCHEMA_ALLOW_BREAKING=1) accepts any;
// --base=<git ref> (or SCHEMA_BASE_REF) compares with the supergraph committed at that ref (e.g. the
// branch a change merges into) instead of the working tree's; --skip-generate composes the
// committed SDLs without booting the apps.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadAcceptedChanges, partitionBreaking } from './accepted-changes.js';
import { composeSupergraph, diffApiSchemas } from './composition.js';
import { hasDrift, printAll } from './sdl.js';
import { discoverSubgraphs, REPO_ROOT, supergraphPath } from './subgraphs.js';

const allowBreaking = process.argv.includes('--allow-breaking') || process.env.SCHEMA_ALLOW_BREAKING === '1';
const skipGenerate = process.argv.includes('--skip-generate');
const baseRef = process.argv.find((arg) => arg.startsWith('--base='))?.slice('--base='.length) || process.env.SCHEMA_BASE_REF || undefined;
const acceptedChanges = loadAcceptedChanges(join(REPO_ROOT, 'tools/supergraph/accepted-breaking-changes.json'));

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

// 3 and 4. Against the committed supergraph (or the one at --base): breaking API changes, then staleness.
const committedPath = supergraphPath();
const committedFile = relative(REPO_ROOT, committedPath);

/** The breaking-change step against `baseline` (`label` names it in the output). */
function checkBreaking(baseline: string, label: string, supergraphSdl: string): void {
  let diff: ReturnType<typeof diffApiSchemas>;
  try {
    diff = diffApiSchemas(baseline, supergraphSdl);
  } catch (error) {
    return step('breaking changes', false, `${label} is not a valid supergraph: ${(error as Error).message}`);
  }
  const { accepted, unaccepted } = partitionBreaking(diff.breaking, acceptedChanges);
  const listed = [
    ...unaccepted,
    ...accepted.map((entry) => `(accepted) ${entry.change} — ${entry.reason}`),
    ...diff.dangerous.map((change) => `(dangerous) [${change.type}] ${change.description}`),
  ];
  if (!unaccepted.length) step('breaking changes', true, accepted.length ? `${accepted.length} against ${label}, each accepted in accepted-breaking-changes.json` : `none against ${label}`, listed);
  else if (allowBreaking) step('breaking changes', true, `${unaccepted.length} allowed by --allow-breaking / SCHEMA_ALLOW_BREAKING=1`, listed);
  else {
    step(
      'breaking changes',
      false,
      `${unaccepted.length} against ${label} (clients may break; if intended, list each in tools/supergraph/accepted-breaking-changes.json with the reason, for review)`,
      listed,
    );
  }
}

if (outcome.ok) {
  if (baseRef) {
    let baseline: string | undefined;
    try {
      baseline = execFileSync('git', ['show', `${baseRef}:${committedFile}`], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      step('breaking changes', false, `cannot read ${committedFile} at ${baseRef}: ${(error as Error).message.split('\n')[0]}`);
    }
    if (baseline !== undefined) checkBreaking(baseline, `${baseRef}:${committedFile}`, outcome.supergraphSdl);
  }
  if (!existsSync(committedPath)) {
    if (!baseRef) step('breaking changes', true, `no committed ${committedFile} to compare with`);
    step('committed supergraph', false, `${committedFile} is missing; run \`npm run schema:compose\` and commit it`);
  } else {
    const committed = readFileSync(committedPath, 'utf8');
    if (!baseRef) checkBreaking(committed, committedFile, outcome.supergraphSdl);
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
