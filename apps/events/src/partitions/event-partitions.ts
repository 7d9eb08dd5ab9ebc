/** Runs one SQL statement; a TypeORM QueryRunner, DataSource or EntityManager all fit. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export const DEFAULT_PARTITION = 'event_default';

/** The first instant (UTC) of the month `offset` months after the one `at` falls in. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

export function partitionName(month: Date): string {
  return `event_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Makes sure the monthly partition holding `at` exists. Idempotent and safe to race (an advisory
 * lock serialises creators). Rows of that month already sitting in the DEFAULT partition are
 * moved into the new partition before it is attached, since attaching would otherwise fail.
 * Must run inside a transaction.
 */
export async function ensureMonthPartition(sql: SqlRunner, at: Date): Promise<string> {
  const from = monthStart(at);
  const to = monthStart(at, 1);
  const name = partitionName(from);
  await sql.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.event_partitions'))`);
  const [existing] = (await sql.query(`SELECT to_regclass($1) AS oid`, [name])) as { oid: string | null }[];
  if (existing?.oid) return name;
  const bounds = `FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`;
  const [stray] = (await sql.query(`SELECT EXISTS (SELECT 1 FROM ${DEFAULT_PARTITION} WHERE "timestamp" >= $1 AND "timestamp" < $2) AS found`, [
    from,
    to,
  ])) as { found: boolean }[];
  if (!stray?.found) {
    await sql.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF event FOR VALUES ${bounds}`);
    return name;
  }
  await sql.query(`CREATE TABLE ${name} (LIKE event INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await sql.query(
    `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE "timestamp" >= $1 AND "timestamp" < $2 RETURNING *)
     INSERT INTO ${name} SELECT * FROM moved`,
    [from, to],
  );
  await sql.query(`ALTER TABLE event ATTACH PARTITION ${name} FOR VALUES ${bounds}`);
  return name;
}

/** The partitions for the month of `now` and the `monthsAhead` after it. */
export async function ensureUpcomingPartitions(sql: SqlRunner, now: Date, monthsAhead: number): Promise<string[]> {
  const names: string[] = [];
  for (let offset = 0; offset <= monthsAhead; offset++) names.push(await ensureMonthPartition(sql, monthStart(now, offset)));
  return names;
}
