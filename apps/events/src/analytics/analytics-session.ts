import type { EntityManager } from 'typeorm';

/** Memory for one question's hashes and sorts: grouping a 1M-profile project's rollup rows spills to disk at the default 4 MB. */
export const ANALYTICS_WORK_MEM = '64MB';

/**
 * Settings of a question's transaction, in one round trip: no JIT (its compile time is longer than
 * these queries run) and, with `workMem`, more memory per hash or sort (funnels and lifecycle: their
 * per-profile groups stay in memory; retention over `profile_days`: its parallel workers hash their
 * groups). Not for every question: with 64 MB the planner hashes the larger side of valueRetention's
 * cohort ⋈ profile_day join (1.3M rows) and that answer got slower (1.9 s → 3.4–3.8 s in psql on the
 * bench data set, same load). `hashJoins`: no merge joins, nested loops or sorts (see FunnelQuery).
 */
export async function analyticsSession(manager: EntityManager, { workMem = false, hashJoins = false }: { workMem?: boolean; hashJoins?: boolean } = {}): Promise<void> {
  const settings: [name: string, value: string][] = [['jit', 'off']];
  if (workMem) settings.push(['work_mem', ANALYTICS_WORK_MEM]);
  if (hashJoins) settings.push(['enable_mergejoin', 'off'], ['enable_nestloop', 'off'], ['enable_sort', 'off']);
  await manager.query(`SELECT ${settings.map(([name, value]) => `set_config('${name}', '${value}', true)`).join(', ')}`);
}
