// Baselines for the questions the segments and analytics benchmarks ask: each question asked of
// the same rows as hand-written SQL in PostgreSQL and as DuckDB SQL over the Parquet copy, timed in
// one run, with both answers compared. A benchmark adds its own (Boomerang's) answer as a third way
// (`boomerang` in `ask`), timed and compared the same way.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { DAY_MS } from './generate.js';
import type { BenchDataset } from './load.js';
import type { ParquetDataset } from './parquet.js';

/** What a question's SQL is written against. */
export interface QuestionContext {
  projectId: string;
  now: Date;
}

/** A question as SQL for both engines, and how to read an answer from its rows (so answers compare). */
export interface Question<Answer = unknown> {
  name: string;
  description: string;
  /** Hand-written SQL over `events.event` / `profiles.profile`, with its parameters. */
  postgres(context: QuestionContext): { text: string; values: unknown[] };
  /** DuckDB SQL over the views `events` and `profiles` (the Parquet files). */
  duckdb(context: QuestionContext): string;
  /** The answer from either engine's rows (plain objects, numbers as numbers). */
  answer(rows: Record<string, unknown>[]): Answer;
  /** One line describing an answer. */
  summary(answer: Answer): string;
}

export interface Timing {
  /** Seconds of each timed run, in order. */
  runs: number[];
  best: number;
  median: number;
}

export interface QuestionResult<Answer = unknown> {
  question: string;
  postgres: Timing;
  duckdb: Timing;
  boomerang?: Timing;
  answers: { postgres: Answer; duckdb: Answer; boomerang?: Answer };
  /** Every way gave the same answer. */
  agree: boolean;
}

export interface AskOptions<Answer> {
  /** Timed runs of each way (after one untimed warm-up run each); default 3. */
  runs?: number;
  /** The system under test's answer to the same question, timed like the others. */
  boomerang?: () => Promise<Answer>;
}

/** A PostgreSQL connection and a DuckDB over the Parquet files, to ask questions of both. */
export class Baselines {
  private constructor(
    private readonly context: QuestionContext,
    private readonly postgres: pg.Client,
    private readonly duck: DuckDBInstance,
    private readonly duckdb: DuckDBConnection,
  ) {}

  /**
   * `duckdb: 'parquet'` (the default) asks DuckDB over the Parquet files as they are; `'memory'`
   * loads them into DuckDB's own in-memory tables first (without `properties`/`consent` JSON),
   * the fastest DuckDB gets: on 10M events several times faster than reading Parquet.
   */
  static async open(dataset: BenchDataset, parquet: ParquetDataset, { duckdb: source = 'parquet' }: { duckdb?: 'parquet' | 'memory' } = {}): Promise<Baselines> {
    const postgres = new pg.Client({ connectionString: dataset.databaseUrl });
    await postgres.connect();
    const duck = await DuckDBInstance.create(':memory:');
    const duckdb = await duck.connect();
    await duckdb.run(`SET TimeZone = 'UTC'`);
    if (source === 'memory') {
      await duckdb.run(`CREATE TABLE events AS SELECT * EXCLUDE (properties) FROM read_parquet('${parquet.events}')`);
      await duckdb.run(`CREATE TABLE profiles AS SELECT * EXCLUDE (properties, consent) FROM read_parquet('${parquet.profiles}')`);
    } else {
      await duckdb.run(`CREATE VIEW events AS SELECT * FROM read_parquet('${parquet.events}')`);
      await duckdb.run(`CREATE VIEW profiles AS SELECT * FROM read_parquet('${parquet.profiles}')`);
    }
    return new Baselines({ projectId: dataset.projectId, now: dataset.now }, postgres, duck, duckdb);
  }

  async ask<Answer>(question: Question<Answer>, options: AskOptions<Answer> = {}): Promise<QuestionResult<Answer>> {
    const runs = options.runs ?? 3;
    const { text, values } = question.postgres(this.context);
    const sql = question.duckdb(this.context);
    const postgres = await timed(runs, async () => question.answer((await this.postgres.query(text, values)).rows.map(plain)));
    const duckdb = await timed(runs, async () => question.answer(((await this.duckdb.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]).map(plain)));
    const boomerang = options.boomerang ? await timed(runs, options.boomerang) : undefined;
    const answers = { postgres: postgres.answer, duckdb: duckdb.answer, ...(boomerang ? { boomerang: boomerang.answer } : {}) };
    const agree = same(answers.postgres, answers.duckdb) && (!boomerang || same(answers.postgres, boomerang.answer));
    return { question: question.name, postgres: postgres.timing, duckdb: duckdb.timing, ...(boomerang ? { boomerang: boomerang.timing } : {}), answers, agree };
  }

  async close(): Promise<void> {
    this.duckdb.closeSync();
    this.duck.closeSync();
    await this.postgres.end();
  }
}

async function timed<Answer>(runs: number, ask: () => Promise<Answer>): Promise<{ timing: Timing; answer: Answer }> {
  let answer = await ask();
  const seconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    answer = await ask();
    seconds.push((performance.now() - started) / 1000);
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  return { timing: { runs: seconds, best: sorted[0] ?? NaN, median: sorted[Math.floor(sorted.length / 2)] ?? NaN }, answer };
}

/** Numbers as numbers, whichever engine (node-postgres gives bigint and numeric as strings, DuckDB's JSON rows too). */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value]));
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const iso = (time: number) => new Date(time).toISOString();
/** A DuckDB TIMESTAMPTZ literal. */
const instant = (time: number) => `TIMESTAMPTZ '${iso(time)}'`;
const WEEK_MS = 7 * DAY_MS;

/** Segments' reference question: profiles that were Charged at least 3 times in the last 90 days, or for more than 500 in all. */
export const chargedThriceOrOver500: Question<{ members: number }> = {
  name: 'charged ≥ 3 in 90 days or sum(Amount) > 500',
  description: 'member count of "did Charged at least 3 times in the last 90 days OR sum of Charged.Amount over those 90 days > 500"',
  postgres: ({ projectId, now }) => ({
    text: `SELECT count(*) AS members FROM (
             SELECT profile_id FROM events.event
             WHERE project_id = $1 AND name = 'Charged' AND "timestamp" >= $2 AND "timestamp" < $3 AND profile_id IS NOT NULL
             GROUP BY profile_id
             HAVING count(*) >= 3 OR sum((properties ->> 'Amount')::numeric) > 500
           ) AS qualifying`,
    values: [projectId, new Date(now.getTime() - 90 * DAY_MS), now],
  }),
  duckdb: ({ now }) => `SELECT count(*) AS members FROM (
      SELECT profile_id FROM events
      WHERE name = 'Charged' AND "timestamp" >= ${instant(now.getTime() - 90 * DAY_MS)} AND "timestamp" < ${instant(now.getTime())}
      GROUP BY profile_id
      HAVING count(*) >= 3 OR sum(amount) > 500
    ) AS qualifying`,
  answer: (rows) => ({ members: Number(rows[0]!.members) }),
  summary: ({ members }) => `${members.toLocaleString('en')} members`,
};

export interface RetentionMatrix {
  /** cohorts[c][k]: profiles first seen in week c (of the 12 before now) that were active in week c + k. */
  cohorts: number[][];
}

/**
 * Analytics' 12-week retention matrix: cohorts by the week of each profile's first event (any
 * event, all history), classic retention (active in week k after it), weeks counted from 12 weeks
 * before now (UTC).
 */
export const retention12Weeks: Question<RetentionMatrix> = {
  name: '12-week retention matrix',
  description: 'cohorts by week of first event (12 weeks before now); profiles with any event in week k after',
  postgres: ({ projectId, now }) => {
    const start = now.getTime() - 12 * WEEK_MS;
    return {
      text: `WITH first_seen AS (
               SELECT profile_id, min("timestamp") AS first_at FROM events.event
               WHERE project_id = $1 AND profile_id IS NOT NULL GROUP BY profile_id
             ), cohorts AS (
               SELECT profile_id, extract(day FROM date_bin('7 days', first_at, $2) - $2)::int / 7 AS cohort
               FROM first_seen WHERE first_at >= $2 AND first_at < $3
             ), active AS (
               SELECT DISTINCT profile_id, extract(day FROM date_bin('7 days', "timestamp", $2) - $2)::int / 7 AS week
               FROM events.event WHERE project_id = $1 AND "timestamp" >= $2 AND "timestamp" < $3 AND profile_id IS NOT NULL
             )
             SELECT c.cohort, a.week - c.cohort AS k, count(*) AS profiles
             FROM cohorts c JOIN active a USING (profile_id) WHERE a.week >= c.cohort
             GROUP BY 1, 2 ORDER BY 1, 2`,
      values: [projectId, new Date(start), now],
    };
  },
  duckdb: ({ now }) => {
    const start = now.getTime() - 12 * WEEK_MS;
    return `WITH first_seen AS (
        SELECT profile_id, min("timestamp") AS first_at FROM events GROUP BY profile_id
      ), cohorts AS (
        SELECT profile_id, (epoch_ms(first_at) - ${start}) // ${WEEK_MS} AS cohort
        FROM first_seen WHERE first_at >= ${instant(start)} AND first_at < ${instant(now.getTime())}
      ), active AS (
        SELECT DISTINCT profile_id, (epoch_ms("timestamp") - ${start}) // ${WEEK_MS} AS week
        FROM events WHERE "timestamp" >= ${instant(start)} AND "timestamp" < ${instant(now.getTime())}
      )
      SELECT c.cohort, a.week - c.cohort AS k, count(*) AS profiles
      FROM cohorts c JOIN active a USING (profile_id) WHERE a.week >= c.cohort
      GROUP BY 1, 2 ORDER BY 1, 2`;
  },
  answer: (rows) => {
    const cohorts = Array.from({ length: 12 }, (_, c) => new Array<number>(12 - c).fill(0));
    for (const row of rows) cohorts[Number(row.cohort)]![Number(row.k)] = Number(row.profiles);
    return { cohorts };
  },
  summary: ({ cohorts }) => {
    const size = cohorts.reduce((sum, row) => sum + row[0]!, 0);
    const week1 = cohorts.slice(0, 11).reduce((sum, row) => sum + row[1]!, 0) / cohorts.slice(0, 11).reduce((sum, row) => sum + row[0]!, 0);
    return `${size.toLocaleString('en')} profiles in 12 cohorts, ${(100 * week1).toFixed(1)} % back in week 1`;
  },
};

export interface FunnelCounts {
  steps: number[];
}

const FUNNEL_STEPS = ['Product Viewed', 'Added To Cart', 'Charged'] as const;

/**
 * Analytics' 3-step funnel: Product Viewed (first time in the last 30 days) → Added To Cart → Charged,
 * each step after the one before, all within 7 days of the first.
 */
export const funnel3Steps7Days: Question<FunnelCounts> = {
  name: '3-step funnel, 7-day window',
  description: 'Product Viewed (first in the last 30 days) → Added To Cart → Charged within 7 days of the first step',
  // Each later step is looked up per profile through the profile timeline index: a join of
  // CTEs here gets row estimates of 1 and a nested loop over every pair (quadratic).
  postgres: ({ projectId, now }) => ({
    text: `WITH first_step AS (
             SELECT profile_id, min("timestamp") AS t1 FROM events.event
             WHERE project_id = $1 AND name = $4 AND "timestamp" >= $2 AND "timestamp" < $3 AND profile_id IS NOT NULL
             GROUP BY profile_id
           ), second_step AS (
             SELECT f.profile_id, f.t1, next.t2 FROM first_step f
             CROSS JOIN LATERAL (
               SELECT min(e."timestamp") AS t2 FROM events.event e
               WHERE e.project_id = $1 AND e.profile_id = f.profile_id AND e.name = $5 AND e."timestamp" >= f.t1 AND e."timestamp" < f.t1 + interval '7 days'
             ) AS next
             WHERE next.t2 IS NOT NULL
           ), third_step AS (
             SELECT t.profile_id FROM second_step t
             WHERE EXISTS (
               SELECT 1 FROM events.event e
               WHERE e.project_id = $1 AND e.profile_id = t.profile_id AND e.name = $6 AND e."timestamp" >= t.t2 AND e."timestamp" < t.t1 + interval '7 days'
             )
           )
           SELECT (SELECT count(*) FROM first_step) AS step1, (SELECT count(*) FROM second_step) AS step2, (SELECT count(*) FROM third_step) AS step3`,
    values: [projectId, new Date(now.getTime() - 30 * DAY_MS), now, ...FUNNEL_STEPS],
  }),
  duckdb: ({ now }) => {
    const names = FUNNEL_STEPS.map((name) => `'${name}'`);
    return `WITH steps AS (
        SELECT profile_id, name, "timestamp" FROM events
        WHERE name IN (${names.join(', ')}) AND "timestamp" >= ${instant(now.getTime() - 30 * DAY_MS)} AND "timestamp" < ${instant(now.getTime() + 7 * DAY_MS)}
      ), first_step AS (
        SELECT profile_id, min("timestamp") AS t1 FROM steps WHERE name = ${names[0]} AND "timestamp" < ${instant(now.getTime())} GROUP BY profile_id
      ), second_step AS (
        SELECT f.profile_id, f.t1, min(s."timestamp") AS t2 FROM first_step f
        JOIN steps s ON s.profile_id = f.profile_id AND s.name = ${names[1]} AND s."timestamp" >= f.t1 AND s."timestamp" < f.t1 + INTERVAL 7 DAY
        GROUP BY f.profile_id, f.t1
      ), third_step AS (
        SELECT DISTINCT t.profile_id FROM second_step t
        JOIN steps s ON s.profile_id = t.profile_id AND s.name = ${names[2]} AND s."timestamp" >= t.t2 AND s."timestamp" < t.t1 + INTERVAL 7 DAY
      )
      SELECT (SELECT count(*) FROM first_step) AS step1, (SELECT count(*) FROM second_step) AS step2, (SELECT count(*) FROM third_step) AS step3`;
  },
  answer: (rows) => ({ steps: [Number(rows[0]!.step1), Number(rows[0]!.step2), Number(rows[0]!.step3)] }),
  summary: ({ steps }) => steps.map((count, i) => `${FUNNEL_STEPS[i]} ${count.toLocaleString('en')}`).join(' → '),
};

export const BASELINE_QUESTIONS: readonly Question[] = [chargedThriceOrOver500, retention12Weeks, funnel3Steps7Days] as Question[];

/** A printable table of results: seconds per way, DuckDB's speed-up over PostgreSQL, agreement and the answer. */
export function formatResults(results: readonly QuestionResult[], questions: readonly Question[] = BASELINE_QUESTIONS): string[] {
  const seconds = (timing?: Timing) => (timing ? `${timing.median.toFixed(3)} s (best ${timing.best.toFixed(3)})` : '—');
  return results.flatMap((result) => {
    const question = questions.find((q) => q.name === result.question);
    return [
      `${result.question}`,
      `  PostgreSQL  ${seconds(result.postgres)}`,
      `  DuckDB      ${seconds(result.duckdb)}   PostgreSQL / DuckDB = ${(result.postgres.median / result.duckdb.median).toFixed(1)}×`,
      ...(result.boomerang ? [`  Boomerang   ${seconds(result.boomerang)}   Boomerang / PostgreSQL = ${(result.boomerang.median / result.postgres.median).toFixed(2)}×`] : []),
      `  answers ${result.agree ? 'agree' : 'DIFFER'}: ${question ? question.summary(result.answers.postgres) : JSON.stringify(result.answers.postgres)}${
        result.agree ? '' : ` (DuckDB: ${question ? question.summary(result.answers.duckdb) : JSON.stringify(result.answers.duckdb)})`
      }`,
    ];
  });
}
