import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ListProfileSnapshots, ProfileChanged, ProfileMerged, type MessageContract, type MessageOf, type ProfileSnapshot } from '@boomerang/contracts';
import { applyOwnedStream, serveRpc } from '@boomerang/platform/messaging';
import { eventually, newKnownProfiles, publishMessage, secretKeyCaller, silentLogger, type TestSubgraph } from '@boomerang/platform/testing';
import { AnalyticsProfileBackfill } from '../src/analytics/analytics-profile-backfill.js';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { consumersSettled, ingestCommand, startEventsSubgraph, profileSnapshot } from './support.js';

const RETENTION = `query($input: RetentionInput!) { retention(input: $input) { cohorts { start size counts } } }`;

/**
 * analytics_profile filled from profiles (ListProfileSnapshots; a stand-in answers the contract
 * with every project's profiles in id order, two a page): profiles that changed before the consumer
 * existed become filterable; newer live snapshots and merges win over the walk; a failed page is
 * asked again from the stored progress; a finished walk is not run again unless restarted.
 */
describe('analytics profiles backfill', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const shop = randomUUID();
  const other = randomUUID();
  /** What profiles holds: every project's profiles, as ListProfileSnapshots answers. */
  const existing: (ProfileSnapshot & { projectId: string })[] = [];
  /** The `after` of each request the stand-in answered (or failed). */
  const asked: (string | null)[] = [];
  let failNext = 0;
  let p1: string, p2: string, p3: string, merged: string, q1: string;

  const snapshot = profileSnapshot;
  const publish = <C extends MessageContract>(contract: C, project: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) => publishMessage(sut.messaging, contract, project, body);
  const ingest = (project: string, events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(project, events.map((event) => ingestCommand(event)));
  const stored = async () =>
    (await db.query(`SELECT project_id, profile_id, properties FROM "${sut.schema}".analytics_profile WHERE project_id = ANY($1::uuid[]) ORDER BY profile_id`, [[shop, other]])) as {
      project_id: string;
      profile_id: string;
      properties: Record<string, unknown>;
    }[];
  const progress = async () =>
    ((await db.query(`SELECT after_profile_id, pages, profiles, completed_at FROM "${sut.schema}".analytics_profile_backfill`)) as {
      after_profile_id: string | null;
      pages: number;
      profiles: string;
      completed_at: Date | null;
    }[])[0]!;
  const long = new Date('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
    [p1, p2, p3, merged] = (await newKnownProfiles(sut, shop, 4)) as [string, string, string, string];
    [q1] = (await newKnownProfiles(sut, other, 1)) as [string];
    // Live messages before the walk: p2 changed since the walk's (older) snapshot of it; `merged` is gone into p1.
    await publish(ProfileChanged, shop, snapshot(p2, { plan: 'pro', live: true }, new Date()));
    await publish(ProfileMerged, shop, { profileId: p1, mergedProfileId: merged });
    await consumersSettled(sut);
    existing.push(
      { projectId: shop, ...snapshot(p1, { plan: 'pro' }, long) },
      { projectId: shop, ...snapshot(p2, { plan: 'free' }, long) },
      { projectId: shop, ...snapshot(p3, { plan: 'free' }, long) },
      // profiles' answer was read before the merge reached it.
      { projectId: shop, ...snapshot(merged, { plan: 'pro' }, long) },
      { projectId: other, ...snapshot(q1, { plan: 'pro' }, long) },
    );
    existing.sort((a, b) => a.profileId.localeCompare(b.profileId));
    // The second page fails once: the walk asks for it again from the stored progress.
    failNext = 0;
    serveRpc(
      sut.messaging.nc,
      sut.messaging.subjects,
      ListProfileSnapshots,
      async ({ after }) => {
        asked.push(after);
        if (after !== null && failNext-- > 0) throw new Error('profiles is restarting');
        const rest = existing.filter((profile) => after === null || profile.profileId > after);
        const page = rest.slice(0, 2);
        return { profiles: page, next: rest.length > 2 ? page[1]!.profileId : null };
      },
      silentLogger,
    );
  }, 120_000);
  afterAll(async () => {
    await sut?.close();
  });

  it('stores every existing profile page by page, keeps newer live snapshots, leaves merged profiles out, resumes a failed page', async () => {
    failNext = 1;
    await eventually(async () => (await progress()).completed_at !== null, { timeoutMs: 60_000 });
    expect(await stored()).toEqual(
      [
        { project_id: shop, profile_id: p1, properties: { plan: 'pro' } },
        { project_id: shop, profile_id: p2, properties: { plan: 'pro', live: true } },
        { project_id: shop, profile_id: p3, properties: { plan: 'free' } },
        { project_id: other, profile_id: q1, properties: { plan: 'pro' } },
      ].sort((a, b) => a.profile_id.localeCompare(b.profile_id)),
    );
    // Three pages of two, two and one; the second asked twice (it failed once), each from the first page's last profile.
    const firstPageEnd = existing[1]!.profileId;
    const secondPageEnd = existing[3]!.profileId;
    expect(asked.slice(-4)).toEqual([null, firstPageEnd, firstPageEnd, secondPageEnd]);
    expect(await progress()).toMatchObject({ after_profile_id: secondPageEnd, pages: 3, profiles: '5' });

    // The backfilled properties filter questions: plan = pro is p1 and p2 (p2 by its live snapshot).
    await ingest(shop, [p1, p2, p3].map((profileId) => ({ profileId, name: 'Open', timestamp: new Date('2026-02-02T12:00:00Z') })));
    await consumersSettled(sut);
    const answer = await sut.query<{ retention: { cohorts: { size: number }[] } }>(
      RETENTION,
      { input: { interval: 'DAY', intervals: 1, from: '2026-02-02', to: '2026-02-03', filter: { profile: [{ property: 'plan', op: 'EQ', value: 'pro' }] } } },
      secretKeyCaller(shop),
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.retention.cohorts.map((cohort) => cohort.size)).toEqual([2]);
  });

  it('is not run again once done; a restart walks again and changes nothing', async () => {
    const backfill = sut.app.get(AnalyticsProfileBackfill);
    const before = asked.length;
    expect(await backfill.start()).toEqual({ pages: 0, profiles: 0, completed: true });
    expect(asked.length).toBe(before);

    const rows = await stored();
    expect(await backfill.restart()).toEqual({ pages: 3, profiles: 5, completed: true });
    expect(asked.length).toBe(before + 3);
    expect(await stored()).toEqual(rows);
  });
});
