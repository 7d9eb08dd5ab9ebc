import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { eventually, newKnownProfiles, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { RollupRebuild } from '../src/analytics/rollup-rebuild.js';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph } from './support.js';

const SETTINGS = `mutation($input: UpdateAnalyticsSettingsInput!) { updateAnalyticsSettings(input: $input) { rebuilding } }`;
const TRENDS = `query($input: TrendsInput!) { trends(input: $input) { points { value } } }`;

/**
 * A project's rebuild after a settings change is one transaction: held half-way (its last
 * statement waits on a row lock this spec holds), every answer is still the old one; events
 * ingested before and during it are all counted once it commits, under the new time zone.
 */
describe('analytics rollup rebuild: one transaction per project', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const projectId = randomUUID();

  const ingest = (events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));
  const perDay = async () => {
    const answer = await sut.query<{ trends: { points: { value: number }[] } }>(
      TRENDS,
      { input: { measure: 'COUNT', interval: 'DAY', from: '2026-03-01', to: '2026-03-04' } },
      secretKeyCaller(projectId),
    );
    expect(answer.errors).toBeUndefined();
    return answer.data!.trends.points.map((point) => point.value);
  };
  const rollups = async () =>
    (await db.query(`SELECT profile_id, to_char(day, 'YYYY-MM-DD') AS day, events FROM "${sut.schema}".profile_day WHERE project_id = $1 ORDER BY 1, 2`, [projectId])) as unknown[];
  const recomputed = async (zone: string) =>
    (await db.query(
      `SELECT profile_id, to_char(("timestamp" AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS day, count(*)::int AS events
       FROM "${sut.schema}".event WHERE project_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [projectId, zone],
    )) as unknown[];
  const waiting = async (statement: string) =>
    ((await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [`${statement}%`])) as { n: number }[])[0]!.n;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
  }, 120_000);
  afterAll(() => sut?.close());

  it('shows the old answer until the whole rebuild commits, and loses no event ingested meanwhile', async () => {
    const [p, q] = (await newKnownProfiles(sut, projectId, 2)) as [string, string];
    await ingest([
      { profileId: p, name: 'Open', timestamp: new Date('2026-03-02T02:00:00Z') }, // New York: 03-01 21:00
      { profileId: p, name: 'Open', timestamp: new Date('2026-03-02T23:30:00Z') }, // 03-02 18:30
      { profileId: q, name: 'Open', timestamp: new Date('2026-03-03T03:00:00Z') }, // 03-02 22:00
    ]);
    await consumersSettled(sut);
    expect(await perDay()).toEqual([0, 2, 1]);
    const before = await rollups();
    expect(before).toEqual(await recomputed('UTC'));

    expect((await sut.query(SETTINGS, { input: { timeZone: 'America/New_York' } }, secretKeyCaller(projectId))).data).toEqual({ updateAnalyticsSettings: { rebuilding: true } });
    // Received while the rebuild is pending: parked for it.
    await ingest([{ profileId: q, name: 'Open', timestamp: new Date('2026-03-03T12:00:00Z') }]); // 03-03 07:00
    await consumersSettled(sut);

    // Hold the parked rows: the rebuild's last statement (deleting them) waits, its work so far uncommitted.
    const holder = db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    let rebuilt: Promise<Map<string, number>> | undefined;
    try {
      expect(await holder.query(`SELECT event_id FROM "${sut.schema}".analytics_rebuild_parked WHERE project_id = $1 FOR UPDATE`, [projectId])).toHaveLength(1);
      rebuilt = sut.app.get(RollupRebuild).rebuildDue({ settleMs: 0 });
      await eventually(async () => (await waiting('DELETE FROM analytics_rebuild_parked')) > 0, { timeoutMs: 20_000 });
      // Ingested while the rebuild holds the project: its fold waits for the rebuild's lock.
      await ingest([{ profileId: p, name: 'Open', timestamp: new Date('2026-03-01T12:00:00Z') }]); // 03-01 07:00
      await sut.flushOutbox();
      await eventually(async () => (await waiting('SELECT pg_advisory_xact_lock_shared')) > 0, { timeoutMs: 20_000 });

      // Half-way through: nothing of it is visible.
      expect(await rollups()).toEqual(before);
      expect(await perDay()).toEqual([0, 2, 1]);
      expect((await sut.query<{ analyticsSettings: { rebuilding: boolean } }>(`{ analyticsSettings { rebuilding } }`, {}, secretKeyCaller(projectId))).data).toEqual({
        analyticsSettings: { rebuilding: true },
      });
    } finally {
      await holder.commitTransaction();
      await holder.release();
    }
    expect([...(await rebuilt!)]).toEqual([[projectId, 4]]);
    await consumersSettled(sut);

    // Every event once, in New York days: p 03-01 ×2 and 03-02, q 03-02 and 03-03.
    expect(await perDay()).toEqual([2, 2, 1]);
    expect(await rollups()).toEqual(await recomputed('America/New_York'));
    expect((await db.query(`SELECT count(*)::int AS n FROM "${sut.schema}".analytics_rebuild_parked WHERE project_id = $1`, [projectId]))[0].n).toBe(0);
  });
});
