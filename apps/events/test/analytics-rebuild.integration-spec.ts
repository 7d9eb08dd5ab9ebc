import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { newKnownProfiles, secretKeyCaller, type TestSubgraph } from '@boomerang/platform/testing';
import { RollupRebuild } from '../src/analytics/rollup-rebuild.js';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph } from './support.js';

const SETTINGS = `mutation($input: UpdateAnalyticsSettingsInput!) { updateAnalyticsSettings(input: $input) { timeZone revenueEvent revenueProperty rebuilding } }`;

/** Changing analytics settings under existing rollups rebuilds them from the events, each event counted once. */
describe('analytics rollups rebuilt after a settings change', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const projectId = randomUUID();

  const ingest = (events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));
  const settled = () => consumersSettled(sut);
  const days = async () =>
    (await db.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, events, revenue::float8 AS revenue FROM "${sut.schema}".profile_day WHERE project_id = $1 ORDER BY day`, [projectId])) as {
      day: string;
      events: number;
      revenue: number;
    }[];
  const firstDays = async () =>
    ((await db.query(`SELECT to_char(first_day, 'YYYY-MM-DD') AS day FROM "${sut.schema}".profile_first_seen WHERE project_id = $1`, [projectId])) as { day: string }[]).map((row) => row.day);
  const rebuilding = async () =>
    (await sut.query<{ analyticsSettings: { rebuilding: boolean } }>(`{ analyticsSettings { rebuilding } }`, {}, secretKeyCaller(projectId))).data?.analyticsSettings.rebuilding;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
  });
  afterAll(() => sut?.close());

  it('re-counts days in the new time zone and revenue by the new property; events received meanwhile wait and count once', async () => {
    const [ada] = await newKnownProfiles(sut, projectId, 1);
    // 23:30 EST on March 7th (04:30 UTC on the 8th).
    await ingest([{ profileId: ada, name: 'Charged', properties: { Amount: 5, total: 7 }, timestamp: new Date('2026-03-08T04:30:00Z') }]);
    await settled();
    expect(await days()).toEqual([{ day: '2026-03-08', events: 1, revenue: 5 }]);

    const changed = await sut.query(SETTINGS, { input: { timeZone: 'America/New_York', revenueProperty: 'total' } }, secretKeyCaller(projectId));
    expect(changed.errors).toBeUndefined();
    expect(changed.data).toEqual({ updateAnalyticsSettings: { timeZone: 'America/New_York', revenueEvent: 'Charged', revenueProperty: 'total', rebuilding: true } });

    // Received during the rebuild's wait: 23:30 EDT on March 8th (after the DST change); held, not yet counted.
    await ingest([{ profileId: ada, name: 'Charged', properties: { Amount: 1, total: 2 }, timestamp: new Date('2026-03-09T03:30:00Z') }]);
    await settled();
    expect(await days()).toEqual([{ day: '2026-03-08', events: 1, revenue: 5 }]);

    // Not due before the settle time; due at once with none.
    expect((await sut.app.get(RollupRebuild).rebuildDue()).size).toBe(0);
    expect([...(await sut.app.get(RollupRebuild).rebuildDue({ settleMs: 0 }))]).toEqual([[projectId, 2]]);
    expect(await days()).toEqual([
      { day: '2026-03-07', events: 1, revenue: 7 },
      { day: '2026-03-08', events: 1, revenue: 2 },
    ]);
    expect(await firstDays()).toEqual(['2026-03-07']);
    expect(await rebuilding()).toBe(false);

    // Done once: another sweep rebuilds nothing; later events are folded as they come.
    expect((await sut.app.get(RollupRebuild).rebuildDue({ settleMs: 0 })).size).toBe(0);
    await ingest([{ profileId: ada, name: 'Charged', properties: { total: '1.5' }, timestamp: new Date('2026-03-09T05:00:00Z') }]);
    await settled();
    expect(await days()).toEqual([
      { day: '2026-03-07', events: 1, revenue: 7 },
      { day: '2026-03-08', events: 1, revenue: 2 },
      { day: '2026-03-09', events: 1, revenue: 1.5 },
    ]);
    expect((await db.query(`SELECT count(*)::int AS n FROM "${sut.schema}".analytics_rebuild_parked WHERE project_id = $1`, [projectId]))[0].n).toBe(0);
  });

  it('settings of a project without rollups change without a rebuild', async () => {
    const fresh = randomUUID();
    const changed = await sut.query(SETTINGS, { input: { timeZone: 'Asia/Kolkata' } }, secretKeyCaller(fresh));
    expect(changed.data).toEqual({ updateAnalyticsSettings: { timeZone: 'Asia/Kolkata', revenueEvent: 'Charged', revenueProperty: 'Amount', rebuilding: false } });
  });
});
