import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { emptyLeafState } from '@boomerang/audience';
import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { LeafStates, type StoredLeafState } from '../src/audience/leaf-states.js';

/** LeafStates' bulk write (a backfill's states), against real PostgreSQL. */
describe('segments: LeafStates.insertAbsent in bulk', () => {
  let segments: TestSubgraph;
  let db: DataSource;
  let sut: LeafStates;

  beforeAll(async () => {
    segments = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'segments' });
    db = segments.app.get(DataSource);
    sut = segments.app.get(LeafStates);
  }, 120_000);

  afterAll(async () => {
    await segments?.close();
  });

  const newLeaf = async (projectId: string) => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO audience_leaf (id, project_id, key, kind, definition, status, matches_without_hits, recent_from)
       VALUES ($1, $2, $3, 'event', '{"name":"Charged"}', 'backfilling', false, now())`,
      [id, projectId, randomUUID()],
    );
    return id;
  };
  const states = (leafId: string, count: number): StoredLeafState[] =>
    Array.from({ length: count }, (_, index) => ({
      leafId,
      profileId: randomUUID(),
      state: { ...emptyLeafState(), n: index + 1, first: 1000 + index, last: 2000 + index, times: [1000 + index], vals: [index % 2 ? null : index] },
      matched: index % 3 === 0,
      recheckAt: index % 5 === 0 ? Date.UTC(2030, 0, 1) : null,
    }));
  const stored = (leafId: string) =>
    db.query(`SELECT profile_id, n, first_at, times, vals, matched, recheck_at FROM leaf_state WHERE leaf_id = $1 ORDER BY n`, [leafId]) as Promise<
      { profile_id: string; n: number; first_at: number; times: number[]; vals: (number | null)[]; matched: boolean; recheck_at: Date | null }[]
    >;

  it('COPYs thousands of new states straight in, every column as given', async () => {
    const projectId = randomUUID();
    const leafId = await newLeaf(projectId);
    const incoming = states(leafId, 2500);
    const raced = await db.transaction((manager) => sut.insertAbsent(manager, projectId, incoming));
    expect(raced).toEqual([]);
    const rows = await stored(leafId);
    expect(rows).toHaveLength(2500);
    expect(rows[1]).toEqual({ profile_id: incoming[1]!.profileId, n: 2, first_at: 1001, times: [1001], vals: [null], matched: false, recheck_at: null });
    expect(rows[0]).toMatchObject({ vals: [0], matched: true, recheck_at: new Date(Date.UTC(2030, 0, 1)) });
  });

  it('when another transaction made some of them meanwhile: inserts the others, leaves those alone and returns them to merge', async () => {
    const projectId = randomUUID();
    const leafId = await newLeaf(projectId);
    const incoming = states(leafId, 1500);
    const theirs = [incoming[10]!, incoming[1200]!];
    for (const state of theirs)
      await db.query(`INSERT INTO leaf_state (project_id, leaf_id, profile_id, n, matched) VALUES ($1, $2, $3, 100000, true)`, [projectId, leafId, state.profileId]);
    const raced = await db.transaction((manager) => sut.insertAbsent(manager, projectId, incoming));
    expect(raced.map((state) => state.profileId).sort()).toEqual(theirs.map((state) => state.profileId).sort());
    const rows = await stored(leafId);
    expect(rows).toHaveLength(1500);
    expect(rows.filter((row) => row.n === 100000).map((row) => row.profile_id).sort()).toEqual(theirs.map((state) => state.profileId).sort());
  });
});
