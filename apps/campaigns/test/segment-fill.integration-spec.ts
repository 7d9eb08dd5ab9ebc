import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SegmentMembershipChanged } from '@boomerang/contracts';
import {
  consumedUpTo,
  eventually,
  publishMessage,
  secretKeyCaller,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';
import { SEGMENT_FILL_PAGE } from '../src/audience/segment-fill.js';
import { SEGMENT_MEMBERSHIP_DURABLE } from '../src/audience/segment-membership-projection.js';
import { type SegmentsStandIn } from './segments-stand-in.js';

const ids = (count: number) => Array.from({ length: count }, () => randomUUID()).sort();

describe('segment membership fill (ListSegmentMembers, then live changes)', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;
  let harness: CampaignsHarness;
  let segments: SegmentsStandIn;

  beforeAll(async () => {
    harness = await startCampaigns();
    ({ sut, messaging, segments } = harness);
  });
  afterAll(() => harness?.close());

  const change = async (projectId: string, segmentId: string, profileId: string, kind: 'entered' | 'exited', occurredAt: Date) => {
    const ack = await publishMessage(messaging, SegmentMembershipChanged, projectId, { segmentId, profileId, change: kind, version: 1, cause: 'event', eventId: null }, { occurredAt });
    await consumedUpTo(messaging, 'segments', SEGMENT_MEMBERSHIP_DURABLE, ack);
  };

  const membersOf = async (projectId: string, segmentId: string): Promise<string[]> =>
    (
      (await sut.app
        .get(DataSource)
        .query(`SELECT profile_id FROM campaign_segment_member WHERE project_id = $1 AND segment_id = $2 AND member ORDER BY profile_id`, [projectId, segmentId])) as {
        profile_id: string;
      }[]
    ).map((row) => row.profile_id);

  it('fills a segment once in pages, keeps live changes newer than the pages, and sends to exactly the members', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    const atSegments = ids(SEGMENT_FILL_PAGE + 300);
    segments.members.set(segmentId, atSegments);
    const now = Date.now();
    segments.asOf = new Date(now);
    const [leftLater, joinedLater, leftEarlier, stale] = [atSegments[10]!, randomUUID(), randomUUID(), atSegments[SEGMENT_FILL_PAGE + 5]!];
    // Live, before the fill: an exit after the pages were read (the page still lists the profile) …
    await change(projectId, segmentId, leftLater, 'exited', new Date(now + 60_000));
    // … an entry after the pages (not listed), an old entry the pages no longer list (it left since, the exit is past the stream's retention) …
    await change(projectId, segmentId, joinedLater, 'entered', new Date(now + 60_000));
    await change(projectId, segmentId, leftEarlier, 'entered', new Date(now - 3_600_000));
    // … and an old exit of a profile the pages list (it came back): the pages win.
    await change(projectId, segmentId, stale, 'exited', new Date(now - 3_600_000));

    const created = await sut.query<{ createCampaign: { id: string } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'Fill', channel: 'EMAIL', email: { templateId: randomUUID(), templateVersion: 1 }, audience: { includeSegmentIds: [segmentId] } } },
      secretKeyCaller(projectId),
    );
    expect(created.errors).toBeUndefined();
    const campaignId = created.data!.createCampaign.id;
    const dataSource = sut.app.get(DataSource);
    await eventually(async () => ((await dataSource.query(`SELECT 1 FROM campaign_segment_fill WHERE segment_id = $1 AND completed_at IS NOT NULL`, [segmentId])).length ? true : null), {
      timeoutMs: 20_000,
    });
    const expected = [...atSegments.filter((id) => id !== leftLater), joinedLater].sort();
    expect(await membersOf(projectId, segmentId)).toEqual(expected);
    expect(segments.pagesServed.filter((page) => page.segmentId === segmentId)).toEqual([
      { segmentId, after: null },
      { segmentId, after: atSegments[SEGMENT_FILL_PAGE - 1] },
    ]);

    // After the fill: a late message older than the pages changes nothing; a newer one applies.
    await change(projectId, segmentId, atSegments[20]!, 'exited', new Date(now - 60_000));
    await change(projectId, segmentId, atSegments[21]!, 'exited', new Date(now + 120_000));
    expect(await membersOf(projectId, segmentId)).toEqual(expected.filter((id) => id !== atSegments[21]));

    // A second campaign on the same segment fills nothing again.
    await sut.query(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`, { input: { name: 'Again', channel: 'EMAIL', audience: { includeSegmentIds: [segmentId] } } }, secretKeyCaller(projectId));
    expect(segments.pagesServed.filter((page) => page.segmentId === segmentId)).toHaveLength(2);

    await sut.query(`mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`, { id: campaignId }, secretKeyCaller(projectId));
    const sent = (await eventually(
      async () => {
        // The status first: the last page's deliveries commit before the step that marks the occurrence done.
        const [occurrence] = await dataSource.query(`SELECT status FROM campaign_occurrence WHERE campaign_id = $1`, [campaignId]);
        if (occurrence?.status !== 'done') return null;
        const rows = (await dataSource.query(`SELECT profile_id FROM campaign_delivery WHERE campaign_id = $1 ORDER BY profile_id`, [campaignId])) as { profile_id: string }[];
        return rows.map((row) => row.profile_id);
      },
      { timeoutMs: 30_000 },
    ))!;
    expect(sent).toEqual(expected.filter((id) => id !== atSegments[21]));
  });

  it('waits for the fill before sending, and completes a fill of a segment segments does not know', async () => {
    const projectId = randomUUID();
    const [slow, unknown] = [randomUUID(), randomUUID()];
    const members = ids(3);
    segments.members.set(slow, members);
    let release!: () => void;
    segments.held = new Promise((resolve) => (release = resolve));
    const created = await sut.query<{ createCampaign: { id: string } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'Slow', channel: 'EMAIL', email: { templateId: randomUUID(), templateVersion: 1 }, audience: { includeSegmentIds: [slow, unknown] } } },
      secretKeyCaller(projectId),
    );
    expect(created.errors).toBeUndefined();
    const campaignId = created.data!.createCampaign.id;
    await sut.query(`mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`, { id: campaignId }, secretKeyCaller(projectId));
    const dataSource = sut.app.get(DataSource);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await dataSource.query(`SELECT status FROM campaign_occurrence WHERE campaign_id = $1`, [campaignId])).toEqual([{ status: 'pending' }]);
    segments.held = null;
    release();
    const sent = (await eventually(
      async () => {
        const [occurrence] = await dataSource.query(`SELECT status FROM campaign_occurrence WHERE campaign_id = $1`, [campaignId]);
        return occurrence?.status === 'done' ? ((await dataSource.query(`SELECT profile_id FROM campaign_delivery WHERE campaign_id = $1 ORDER BY profile_id`, [campaignId])) as { profile_id: string }[]) : null;
      },
      { timeoutMs: 30_000 },
    ))!;
    expect(sent.map((row) => row.profile_id)).toEqual(members);
    expect(await dataSource.query(`SELECT completed_at IS NOT NULL AS done FROM campaign_segment_fill WHERE segment_id = $1`, [unknown])).toEqual([{ done: true }]);
    expect(await membersOf(projectId, unknown)).toEqual([]);
  });
});
