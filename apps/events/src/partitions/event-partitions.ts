/** Runs one SQL statement; a TypeORM QueryRunner, DataSource or EntityManager all fit. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export const DEFAULT_PARTITION = 'event_default';

/** The advisory lock key (SQL) every partition change of this schema takes: creating months and detaching them. */
export const PARTITIONS_LOCK_KEY = `hashtext(current_schema() || '.event_partitions')`;

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
  await sql.query(`SELECT pg_advisory_xact_lock(${PARTITIONS_LOCK_KEY})`);
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

const MONTH_PARTITION = /^event_y(\d{4})m(\d{2})$/;

/** The name a detached month keeps: `event_archive_y2025m01` (`_2`, `_3`… if that month was archived before). */
export function archiveName(partition: string, taken: ReadonlySet<string>): string {
  const base = partition.replace(/^event_/, 'event_archive_');
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  return name;
}

export interface MonthPartition {
  name: string;
  /** The first instant of its month (UTC). */
  month: Date;
  /** Attached, or left half-detached by an interrupted `DETACH … CONCURRENTLY`. */
  state: 'attached' | 'detach-pending';
}

/** The monthly partitions of `event` (never the DEFAULT one), oldest first. */
export async function monthPartitions(sql: SqlRunner): Promise<MonthPartition[]> {
  const rows = (await sql.query(
    `SELECT c.relname AS name, i.inhdetachpending AS pending FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = to_regclass('event')`,
  )) as { name: string; pending: boolean }[];
  return rows
    .flatMap(({ name, pending }) => {
      const match = MONTH_PARTITION.exec(name);
      if (!match) return [];
      return [{ name, month: new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)), state: pending ? 'detach-pending' : 'attached' } as const];
    })
    .sort((a, b) => a.month.getTime() - b.month.getTime());
}

/** Tables of the schema named like a month partition that are no longer attached (a detach whose rename did not happen). */
export async function strayMonthTables(sql: SqlRunner): Promise<string[]> {
  const rows = (await sql.query(
    `SELECT c.relname AS name FROM pg_class c
     WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind = 'r' AND NOT c.relispartition AND c.relname ~ '^event_y[0-9]{4}m[0-9]{2}$'`,
  )) as { name: string }[];
  return rows.map((row) => row.name);
}

export async function archivedTables(sql: SqlRunner): Promise<Set<string>> {
  const rows = (await sql.query(
    `SELECT relname AS name FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND relkind = 'r' AND relname LIKE 'event\\_archive\\_%'`,
  )) as { name: string }[];
  return new Set(rows.map((row) => row.name));
}

/**
 * Deletes the dedupe keys (`event_message_id`) of the events in `table`, a month partition or
 * its archive: a detached month takes its messageIds along, so they are new again. With `since`,
 * only those of events stored from then on (event ids are UUIDv7, minted on the system clock, so
 * the primary key index finds them). Returns how many were deleted.
 */
export async function releaseMessageIds(sql: SqlRunner, table: string, since?: Date): Promise<number> {
  const [, deleted] = (await sql.query(
    `DELETE FROM event_message_id m USING "${table}" e
     WHERE m.project_id = e.project_id AND m.message_id = e.message_id AND m.event_id = e.id${since ? ' AND e.id >= $1' : ''}`,
    since ? [firstEventIdAt(since)] : [],
  )) as [unknown, number];
  return deleted;
}

/** The smallest UUIDv7 minted at `time` or later. */
function firstEventIdAt(time: Date): string {
  const hex = Math.max(0, time.getTime()).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

export async function hasDefaultPartition(sql: SqlRunner): Promise<boolean> {
  const [row] = (await sql.query(`SELECT partdefid <> 0 AS found FROM pg_partitioned_table WHERE partrelid = to_regclass('event')`)) as {
    found: boolean;
  }[];
  return Boolean(row?.found);
}
