import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { startEventsSubgraph } from './support.js';

/** A Sort node in an EXPLAIN (a Merge Append's "Sort Key" is not one). */
const SORT_NODE = /(^|->)\s*Sort\s+\(/m;

/** The timelines a profile page and a per-name list read stay index walks (no sort of a whole history). */
describe('event indexes', () => {
  let sut: TestSubgraph;
  let db: DataSource;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
  });
  afterAll(() => sut?.close());

  /** The plan of `sql` when the planner may not fall back to scanning (the test tables are tiny). */
  const plan = (sql: string, parameters: unknown[]) =>
    db.transaction(async (manager) => {
      await manager.query(`SET LOCAL enable_seqscan = off`);
      await manager.query(`SET LOCAL enable_bitmapscan = off`);
      await manager.query(`SET LOCAL enable_sort = off`);
      const rows = (await manager.query(`EXPLAIN ${sql}`, parameters)) as { 'QUERY PLAN': string }[];
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });

  it('walks the profile timeline index, which holds linked events only, and the per-name index', async () => {
    const timeline = await plan(
      `SELECT id FROM event WHERE project_id = $1 AND profile_id = $2 ORDER BY "timestamp" DESC, id DESC LIMIT 21`,
      [randomUUID(), randomUUID()],
    );
    expect(timeline).toMatch(/Index (Only )?Scan using event_\w+_project_id_profile_id_\w+_idx/);
    expect(timeline).not.toMatch(SORT_NODE);
    const byName = await plan(`SELECT id FROM event WHERE project_id = $1 AND name = $2 ORDER BY "timestamp" DESC, id DESC LIMIT 21`, [
      randomUUID(),
      'Viewed',
    ]);
    expect(byName).toMatch(/Index (Only )?Scan using event_\w+_project_id_name_\w+_idx/);
    expect(byName).not.toMatch(SORT_NODE);
    const [{ definition }] = (await db.query(`SELECT pg_get_indexdef('event_profile_timeline'::regclass) AS definition`)) as { definition: string }[];
    expect(definition).toMatch(/WHERE \(profile_id IS NOT NULL\)/);
  });
});
