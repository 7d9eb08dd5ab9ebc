import pg from 'pg';
import type { DataSource } from 'typeorm';
import { schemaOf } from '@boomerang/platform/messaging';

/**
 * Planner settings for statements that each reach a few rows by key: index scans and nested loops.
 * Each is a penalty, not a ban, so a statement with no such plan still runs; `jit` is off because a
 * penalized plan's cost would otherwise pass the JIT threshold.
 */
const KEYED_PLANS = ['enable_seqscan', 'enable_bitmapscan', 'enable_hashjoin', 'enable_mergejoin', 'jit'].map((name) => `-c ${name}=off`).join(' ');

/**
 * Connections of their own for the send dispatcher, in the service's schema, whose statements (the
 * claim, the in-flight mark, the results, the settling of dead claims) each touch a round's rows by
 * key. Their plans must not follow the table's statistics: right after a large queue is taken in,
 * those still describe email_send as nearly empty, and the planner then sorts every due row at each
 * claim and bitmap-scans every send in flight to update fifty of them, a cost per round that grows
 * with the queue (in the email bench's queue of 20,000, a claim took 10.8 ms on average planned by the
 statistics and 3.6 ms planned by key).
 */
export function keyedStatementPool(dataSource: DataSource, { max, applicationName, onError }: { max: number; applicationName: string; onError(error: Error): void }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: (dataSource.options as { url: string }).url,
    max,
    application_name: applicationName,
    options: `-c search_path=${schemaOf(dataSource)},public ${KEYED_PLANS}`,
  });
  // An idle connection the server closed: the pool drops it and opens another on the next query.
  pool.on('error', onError);
  return pool;
}
