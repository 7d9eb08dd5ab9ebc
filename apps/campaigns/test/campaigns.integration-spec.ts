import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { CallerContext } from '@boomerang/platform/auth';
import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const secretOf = (projectId: string): CallerContext => ({ projectId, keyId: null, scope: 'secret' as const });
const publishableOf = (projectId: string): CallerContext => ({ projectId, keyId: null, scope: 'publishable' as const });

interface CampaignView {
  id: string;
  name: string;
  channel: string;
  status: string;
  schedule: { startAt: string; timeZone: string } | null;
  audience: { __typename: string; id: string } | null;
}

const CAMPAIGN_FIELDS = `id name channel status schedule { startAt timeZone } audience { __typename id } createdAt updatedAt`;

describe('campaigns subgraph', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'campaigns' });
  });
  afterAll(() => sut?.close());

  const createCampaign = async (projectId: string, input: Record<string, unknown>) => {
    const result = await sut.query<{ createCampaign: CampaignView }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`,
      { input },
      secretOf(projectId),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createCampaign;
  };

  const moveTo = (projectId: string, id: string, status: string) =>
    sut.query<{ updateCampaignStatus: { id: string; status: string } }>(
      `mutation($id: ID!, $status: CampaignStatus!) { updateCampaignStatus(id: $id, status: $status) { id status } }`,
      { id, status },
      secretOf(projectId),
    );

  it('refuses requests that the gateway did not sign', async () => {
    const result = await sut.query(`{ campaigns { id } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('creates a DRAFT campaign that reads back with its schedule and audience reference', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    const created = await createCampaign(projectId, {
      name: 'Winback',
      channel: 'EMAIL',
      audienceSegmentId: segmentId,
      schedule: { startAt: '2030-01-02T09:00:00.000Z', timeZone: 'Europe/Berlin' },
    });
    expect(created).toMatchObject({
      name: 'Winback',
      channel: 'EMAIL',
      status: 'DRAFT',
      schedule: { startAt: '2030-01-02T09:00:00.000Z', timeZone: 'Europe/Berlin' },
      audience: { __typename: 'Segment', id: segmentId },
    });

    const read = await sut.query<{ campaign: CampaignView }>(
      `query($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`,
      { id: created.id },
      secretOf(projectId),
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.campaign).toEqual(created);

    const withoutAudience = await createCampaign(projectId, { name: 'Nudge', channel: 'IN_APP' });
    expect(withoutAudience).toMatchObject({ audience: null, schedule: null, channel: 'IN_APP' });
  });

  it('keeps projects apart, by id and in lists', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const ofA = await createCampaign(a, { name: 'A only', channel: 'WEBHOOK' });
    await createCampaign(b, { name: 'B only', channel: 'EMAIL' });

    const byId = await sut.query(`query($id: ID!) { campaign(id: $id) { id } }`, { id: ofA.id }, secretOf(b));
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await sut.query<{ campaigns: { name: string }[] }>(`{ campaigns { name } }`, {}, secretOf(b));
    expect(list.data!.campaigns.map((campaign) => campaign.name)).toEqual(['B only']);
    const move = await moveTo(b, ofA.id, 'RUNNING');
    expect(move.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const stillDraft = await sut.query<{ campaign: { status: string } }>(`query($id: ID!) { campaign(id: $id) { status } }`, { id: ofA.id }, secretOf(a));
    expect(stillDraft.data!.campaign.status).toBe('DRAFT');
  });

  it('walks the lifecycle and refuses illegal transitions with CONFLICT naming both statuses', async () => {
    const projectId = randomUUID();
    const { id } = await createCampaign(projectId, {
      name: 'Lifecycle',
      channel: 'EMAIL',
      audience: { everyone: true },
      email: { templateId: randomUUID(), templateVersion: 1 },
      // Far ahead, so no occurrence runs (and completes the campaign) during the walk.
      schedule: { startAt: '2099-01-01T00:00:00.000Z', timeZone: 'UTC' },
    });

    const illegal = await moveTo(projectId, id, 'COMPLETED');
    expect(illegal.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ILLEGAL_STATUS_TRANSITION' });
    expect(illegal.errors?.[0]?.message).toMatch(/from DRAFT to COMPLETED/);

    for (const status of ['SCHEDULED', 'RUNNING', 'PAUSED', 'RUNNING', 'COMPLETED']) {
      const moved = await moveTo(projectId, id, status);
      expect(moved.errors).toBeUndefined();
      expect(moved.data!.updateCampaignStatus.status).toBe(status);
    }
    const fromFinal = await moveTo(projectId, id, 'RUNNING');
    expect(fromFinal.errors?.[0]?.message).toMatch(/from COMPLETED to RUNNING/);

    const completed = await sut.query<{ campaigns: { id: string }[] }>(`{ campaigns(status: COMPLETED) { id } }`, {}, secretOf(projectId));
    expect(completed.data!.campaigns.map((campaign) => campaign.id)).toEqual([id]);
    const drafts = await sut.query<{ campaigns: { id: string }[] }>(`{ campaigns(status: DRAFT) { id } }`, {}, secretOf(projectId));
    expect(drafts.data!.campaigns).toEqual([]);
  });

  it('names the field and rule for invalid input and writes nothing', async () => {
    const projectId = randomUUID();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x'.repeat(201), channel: 'EMAIL' }, 'input.name'],
      [{ name: '', channel: 'EMAIL' }, 'input.name'],
      [{ name: 'Bad segment', channel: 'EMAIL', audienceSegmentId: 'not-a-uuid' }, 'input.audienceSegmentId'],
      [{ name: 'Bad zone', channel: 'EMAIL', schedule: { startAt: '2030-01-01T00:00:00Z', timeZone: 'Mars/Olympus' } }, 'input.schedule.timeZone'],
    ];
    for (const [input, field] of cases) {
      const result = await sut.query(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`, { input }, secretOf(projectId));
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors?.[0]?.message).toContain(field);
    }
    const list = await sut.query<{ campaigns: unknown[] }>(`{ campaigns { id } }`, {}, secretOf(projectId));
    expect(list.data!.campaigns).toEqual([]);
  });

  it('refuses publishable keys on reads and mutations', async () => {
    const projectId = randomUUID();
    const { id } = await createCampaign(projectId, { name: 'Secret', channel: 'EMAIL' });
    const create = await sut.query(`mutation { createCampaign(input: { name: "pk", channel: EMAIL }) { id } }`, {}, publishableOf(projectId));
    expect(create.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    const moveAsPk = await sut.query(
      `mutation($id: ID!) { updateCampaignStatus(id: $id, status: PAUSED) { id } }`,
      { id },
      publishableOf(projectId),
    );
    expect(moveAsPk.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const list = await sut.query(`{ campaigns { id } }`, {}, publishableOf(projectId));
    expect(list.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('resolves entity references in one batch, scoped to the caller project', async () => {
    const a = randomUUID();
    const first = await createCampaign(a, { name: 'Ref one', channel: 'EMAIL', audienceSegmentId: randomUUID() });
    const second = await createCampaign(a, { name: 'Ref two', channel: 'IN_APP' });
    const foreign = await createCampaign(randomUUID(), { name: 'Elsewhere', channel: 'EMAIL' });

    const { CampaignService } = await import('../src/campaigns/campaign.service.js');
    const findMany = jest.spyOn(sut.app.get(CampaignService), 'findMany');
    try {
      const result = await sut.query<{ _entities: ({ id: string; name: string; audience: { id: string } | null } | null)[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Campaign { id name audience { __typename id } } } }`,
        {
          representations: [first, second, foreign, { id: 'not-a-uuid' }].map(({ id }) => ({ __typename: 'Campaign', id })),
        },
        secretOf(a),
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([
        { id: first.id, name: 'Ref one', audience: { __typename: 'Segment', id: first.audience!.id } },
        { id: second.id, name: 'Ref two', audience: null },
        null,
        null,
      ]);
      expect(findMany).toHaveBeenCalledTimes(1);
    } finally {
      findMany.mockRestore();
    }
  });

  it('announces created campaigns through the outbox', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    const created = await createCampaign(projectId, { name: 'Announced', channel: 'EMAIL', audienceSegmentId: segmentId });
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('campaigns');
    const stored = await sut.messaging.jsm.streams.getMessage(stream, { last_by_subj: `${sut.prefix}campaigns.${projectId}.created` });
    expect(stored!.json()).toMatchObject({ projectId, campaignId: created.id, audienceSegmentId: segmentId });
  });
});
