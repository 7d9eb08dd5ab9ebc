// `npm run bench:dataset [-- --profiles N --events M --now ISO --months K --seed S --runs R --force --duckdb-memory]`:
// builds (or reuses) the shared bench data set in PostgreSQL and its Parquet copy, then prints the
// baselines: each reference question timed as hand-written SQL in PostgreSQL and as DuckDB over
// Parquet, in this one run, with both answers compared. Defaults: 1,000,000 profiles, 10,000,000
// events, 12 months to 2026-12-01T00:00:00Z, seed 1, 3 timed runs per question (after a warm-up).
// --duckdb-memory: DuckDB answers from its own in-memory tables loaded from the Parquet files.
import { parseArgs } from 'node:util';
import { Baselines, BASELINE_QUESTIONS, formatResults, type QuestionResult } from './baselines.js';
import { ensureBenchDataset, formatTimings } from './load.js';
import { ensureParquet } from './parquet.js';

const { values } = parseArgs({
  options: {
    profiles: { type: 'string' },
    events: { type: 'string' },
    now: { type: 'string' },
    months: { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string', default: '3' },
    force: { type: 'boolean', default: false },
    'duckdb-memory': { type: 'boolean', default: false },
  },
});
const number = (value: string | undefined) => (value === undefined ? undefined : Number(value.replace(/_/g, '')));
const log = (line: string) => console.log(line);

const dataset = await ensureBenchDataset({
  profiles: number(values.profiles),
  events: number(values.events),
  now: values.now,
  months: number(values.months),
  seed: number(values.seed),
  force: values.force,
  log,
});
console.log(`dataset: project ${dataset.projectId}, ${dataset.start.toISOString()} → ${dataset.now.toISOString()}, ${dataset.databaseUrl}`);
console.log(`dataset: load ${dataset.reused ? '(by an earlier run) ' : ''}${formatTimings(dataset.timings)}`);
const parquet = await ensureParquet(dataset, { force: values.force, log });
console.log(`parquet: ${parquet.directory} (export ${parquet.reused ? 'by an earlier run ' : ''}${parquet.seconds} s)`);

const baselines = await Baselines.open(dataset, parquet, { duckdb: values['duckdb-memory'] ? 'memory' : 'parquet' });
console.log(`baselines: PostgreSQL (hand-written SQL) vs DuckDB over ${values['duckdb-memory'] ? 'its in-memory tables loaded from the Parquet files' : 'the Parquet files'}, ${number(values.runs)} timed runs each after a warm-up`);
const results: QuestionResult[] = [];
try {
  for (const question of BASELINE_QUESTIONS) {
    const result = await baselines.ask(question, { runs: number(values.runs) });
    results.push(result);
    for (const line of formatResults([result])) console.log(line);
  }
} finally {
  await baselines.close();
}
if (results.some((result) => !result.agree)) {
  console.error('bench:dataset: PostgreSQL and DuckDB answered differently');
  process.exitCode = 1;
}
