import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { EmailSendRequested, EventsIngested, SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { Clock } from '@boomerang/platform/subgraph';
import {
  consumedUpTo,
  eventually,
  publishMessage,
  secretKeyCaller,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { startCampaigns, type CampaignsHarness } from './campaigns-harness.js';
import { inControlGroup } from '../src/delivery/delivery-policy.js';
import { TRIGGER_EVENTS_DURABLE, TRIGGER_SEGMENTS_DURABLE, TriggerEvents } from '../src/triggers/trigger-events.js';
import { TRIGGER_FIRE_QUEUE, TriggerFiring } from '../src/triggers/trigger-firing.js';

const MINUTE = 60_000;

describe('triggered campaigns', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;
  let harness: CampaignsHarness;

  beforeAll(async () => {
    harness = await startCampaigns();
    ({ sut, messaging } = harness);
  });
  afterAll(() => harness?.close());
  afterEach(() => jest.restoreAllMocks());

  const gql = <T>(query: string, variables: Record<string, unknown>, projectId: string) => sut.query<T>(query, variables, secretKeyCaller(projectId));

  const createTriggered = async (projectId: string, input: Record<string, unknown>) => {
    const result = await gql<{ createCampaign: { id: string } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'Triggered', channel: 'EMAIL', email: { templateId: randomUUID(), templateVersion: 2 }, ...input } },
      projectId,
    );
    expect(result.errors).toBeUndefined();
    const id = result.data!.createCampaign.id;
    const started = await gql(`mutation($id: ID!) { updateCampaignStatus(id: $id, status: RUNNING) { status } }`, { id }, projectId);
    expect(started.errors).toBeUndefined();
    return id;
  };

  const event = (profileId: string, name: string, properties: Record<string, unknown> = {}, at = new Date()) => ({
    eventId: randomUUID(),
    messageId: randomUUID(),
    profileId,
    name,
    timestamp: at.toISOString(),
    properties,
  });

  const ingest = async (projectId: string, events: ReturnType<typeof event>[]) => {
    const ack = await publishMessage(messaging, EventsIngested, projectId, { events });
    await consumedUpTo(messaging, 'events', TRIGGER_EVENTS_DURABLE, ack);
  };

  const membership = async (projectId: string, segmentId: string, profileId: string, change: 'entered' | 'exited') => {
    const ack = await publishMessage(messaging, SegmentMembershipChanged, projectId, { segmentId, profileId, change, version: 1, cause: 'event', eventId: null });
    await consumedUpTo(messaging, 'segments', TRIGGER_SEGMENTS_DURABLE, ack);
  };

  const decisions = (campaignId: string) =>
    sut.app.get(DataSource).query(`SELECT profile_id, outcome, reason FROM campaign_delivery WHERE campaign_id = $1 ORDER BY decided_at, profile_id`, [campaignId]) as Promise<
      { profile_id: string; outcome: string; reason: string | null }[]
    >;

  const sendsOf = async (campaignId: string): Promise<MessageOf<typeof EmailSendRequested>[]> => {
    await sut.flushOutbox();
    const stream = messaging.subjects.streamName('email');
    const info = await messaging.jsm.streams.info(stream);
    const bodies: MessageOf<typeof EmailSendRequested>[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const body = (await messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null))?.json<MessageOf<typeof EmailSendRequested>>();
      if (body?.campaignId === campaignId) bodies.push(body);
    }
    return bodies;
  };

  it('sends on an event that meets its conditions, once per profile, never on a replayed or repeated cause', async () => {
    const projectId = randomUUID();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const early = event(a, 'Added To Cart', { price: 50 }, new Date(Date.now() - MINUTE));
    await ingest(projectId, [early]); // before the campaign reacts: never fires it
    const campaignId = await createTriggered(projectId, {
      trigger: { event: { name: 'Added To Cart', where: [{ property: 'price', op: 'GT', value: 10 }] } },
    });
    const first = event(a, 'Added To Cart', { price: '12.50' });
    await ingest(projectId, [first, event(b, 'Added To Cart', { price: 5 }), event(c, 'Page Viewed', { price: 99 })]);
    // The same event published again (a retried ingest), and a second one of the same profile (ONCE: no second send).
    await ingest(projectId, [first, event(a, 'Added To Cart', { price: 20 })]);
    expect(await decisions(campaignId)).toEqual([{ profile_id: a, outcome: 'requested', reason: null }]);
    const sends = (await eventually(async () => {
      const found = await sendsOf(campaignId);
      return found.length ? found : null;
    }))!;
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ profileId: a, templateVersion: 2, idempotencyKey: `campaign:${campaignId}:${new Date(first.timestamp).getTime()}:${a}` });
  });

  it('messages handled together (a busy stream): each cause fires once, in stream order, for the right project; every name is noted', async () => {
    const [projectA, projectB] = [randomUUID(), randomUUID()];
    const [a1, a2, b1] = [randomUUID(), randomUUID(), randomUUID()];
    const onceA = await createTriggered(projectA, { trigger: { event: { name: 'Checkout Started' } } });
    const everyB = await createTriggered(projectB, { trigger: { event: { name: 'Checkout Started' }, reEligibility: 'EVERY_TIME' } });
    const repeated = event(a1, 'Checkout Started');
    const later = event(a1, 'Checkout Started', {}, new Date(Date.now() + 1000));
    const bodies = [
      { projectId: projectA, occurredAt: new Date().toISOString(), events: [repeated, event(a2, 'Batch Page A')] },
      { projectId: projectB, occurredAt: new Date().toISOString(), events: [event(b1, 'Checkout Started', {}, new Date(Date.now() - 2)), event(b1, 'Checkout Started', {}, new Date(Date.now() - 1)), event(b1, 'Batch Page B')] },
      // The same cause again (a re-announced event) and a later one of the same profile (ONCE: not sent).
      { projectId: projectA, occurredAt: new Date().toISOString(), events: [repeated, later] },
    ];
    const dataSource = sut.app.get(DataSource);
    await dataSource.transaction((manager) => sut.app.get(TriggerEvents).onEvents(manager, bodies));
    expect(await decisions(onceA)).toEqual([{ profile_id: a1, outcome: 'requested', reason: null }]);
    expect((await decisions(everyB)).map((row) => [row.profile_id, row.outcome])).toEqual([
      [b1, 'requested'],
      [b1, 'requested'],
    ]);
    const names = (await dataSource.query(`SELECT project_id, name FROM campaign_event_name WHERE project_id = ANY($1) ORDER BY project_id, name`, [[projectA, projectB]])) as unknown[];
    expect(names).toEqual(
      [
        { project_id: projectA, name: 'Batch Page A' },
        { project_id: projectA, name: 'Checkout Started' },
        { project_id: projectB, name: 'Batch Page B' },
        { project_id: projectB, name: 'Checkout Started' },
      ].sort((x, y) => x.project_id.localeCompare(y.project_id) || x.name.localeCompare(y.name)),
    );

    // A name first seen in a transaction that rolls back is written when it comes again (and a known one is not needed twice).
    const rolledBack = { projectId: projectA, occurredAt: new Date().toISOString(), events: [event(a2, 'Batch Page A'), event(a2, 'Rolled Back Name')] };
    await dataSource
      .transaction(async (manager) => {
        await sut.app.get(TriggerEvents).onEvents(manager, [rolledBack]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await dataSource.transaction((manager) => sut.app.get(TriggerEvents).onEvents(manager, [rolledBack]));
    const again = (await dataSource.query(`SELECT name FROM campaign_event_name WHERE project_id = $1 ORDER BY name`, [projectA])) as { name: string }[];
    expect(again.map((row) => row.name)).toEqual(['Batch Page A', 'Checkout Started', 'Rolled Back Name']);

    // Through the consumer: messages published back to back (fetched together when they arrive together) send once per cause.
    const c = randomUUID();
    const start = Date.now();
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await publishMessage(messaging, EventsIngested, projectB, { events: [event(c, 'Checkout Started', { i }, new Date(start + i))] }));
    await consumedUpTo(messaging, 'events', TRIGGER_EVENTS_DURABLE, acks.at(-1)!);
    expect((await decisions(everyB)).filter((row) => row.profile_id === c)).toHaveLength(5);
    expect(await eventually(async () => ((await sendsOf(everyB)).filter((send) => send.profileId === c).length === 5 ? true : null))).toBe(true);

    // Three events of one profile in the same millisecond (EVERY_TIME): three decisions and three sends, each under its own
    // occurrence (the trigger time, then the next free milliseconds), whether they come in one message or in several.
    const d = randomUUID();
    const instant = new Date(Date.now() - 3000);
    const sameMs = await publishMessage(messaging, EventsIngested, projectB, { events: [event(d, 'Checkout Started', { n: 1 }, instant), event(d, 'Checkout Started', { n: 2 }, instant)] });
    await consumedUpTo(messaging, 'events', TRIGGER_EVENTS_DURABLE, sameMs);
    const third = await publishMessage(messaging, EventsIngested, projectB, { events: [event(d, 'Checkout Started', { n: 3 }, instant)] });
    await consumedUpTo(messaging, 'events', TRIGGER_EVENTS_DURABLE, third);
    expect((await decisions(everyB)).filter((row) => row.profile_id === d).map((row) => row.outcome)).toEqual(['requested', 'requested', 'requested']);
    const keys = (await eventually(async () => {
      const found = (await sendsOf(everyB)).filter((send) => send.profileId === d);
      return found.length === 3 ? found.map((send) => send.idempotencyKey) : null;
    }))!;
    expect(keys.sort()).toEqual([0, 1, 2].map((offset) => `campaign:${everyB}:${instant.getTime() + offset}:${d}`).sort());
  });

  it('"added to cart, not charged within an hour": a durable job at trigger + delay checks the since event', async () => {
    const projectId = randomUUID();
    const [abandons, buys] = [randomUUID(), randomUUID()];
    const campaignId = await createTriggered(projectId, {
      trigger: { event: { name: 'Added To Cart' }, delayMinutes: 60, since: { event: 'Charged', done: false }, reEligibility: 'EVERY_TIME' },
    });
    const now = new Date();
    await ingest(projectId, [event(abandons, 'Added To Cart', {}, now), event(buys, 'Added To Cart', {}, now)]);
    await ingest(projectId, [event(buys, 'Charged', {}, new Date(now.getTime() + 10 * MINUTE)), event(abandons, 'Charged', {}, new Date(now.getTime() - MINUTE))]);
    const dataSource = sut.app.get(DataSource);
    const jobs = (await dataSource.query(`SELECT data, start_after FROM job WHERE name = $1 AND data->>'campaignId' = $2 ORDER BY data->>'fireId'`, [
      TRIGGER_FIRE_QUEUE,
      campaignId,
    ])) as { data: { projectId: string; campaignId: string; fireId: string }; start_after: Date }[];
    expect(jobs).toHaveLength(2);
    for (const job of jobs) expect(Math.abs(job.start_after.getTime() - (now.getTime() + 60 * MINUTE))).toBeLessThan(1000);
    expect(await decisions(campaignId)).toEqual([]);

    // An hour later (the clock moved on): the jobs run, twice each (a redelivery), and only the one who did not buy gets it.
    jest.spyOn(sut.app.get(Clock), 'now').mockReturnValue(new Date(now.getTime() + 61 * MINUTE));
    const firing = sut.app.get(TriggerFiring);
    for (const job of [...jobs, ...jobs]) await firing.execute(job.data);
    expect(await decisions(campaignId)).toEqual([{ profile_id: abandons, outcome: 'requested', reason: null }]);
    const states = await dataSource.query(`SELECT profile_id, state, cancel_reason FROM campaign_trigger_fire WHERE campaign_id = $1 ORDER BY profile_id`, [campaignId]);
    expect(states).toEqual(
      [
        { profile_id: abandons, state: 'sent', cancel_reason: null },
        { profile_id: buys, state: 'cancelled', cancel_reason: 'SINCE_CONDITION' },
      ].sort((x, y) => x.profile_id.localeCompare(y.profile_id)),
    );
    expect(await eventually(async () => ((await sendsOf(campaignId)).length === 1 ? true : null))).toBe(true);
  });

  it('a paused campaign records each firing as skipped PAUSED (stats, decisions, Profile.messages); resumed it sends again; stopped, a firing due later is cancelled', async () => {
    const projectId = randomUUID();
    const [early, duringPause, afterResume, delayed] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const campaignId = await createTriggered(projectId, { trigger: { event: { name: 'Trial Started' }, reEligibility: 'EVERY_TIME' } });
    const delayedId = await createTriggered(projectId, { trigger: { event: { name: 'Trial Started' }, delayMinutes: 30 } });
    await ingest(projectId, [event(early, 'Trial Started')]);
    const now = new Date();
    await ingest(projectId, [event(delayed, 'Trial Started', {}, now)]); // due in 30 minutes, for both campaigns
    for (const id of [campaignId, delayedId]) expect((await gql(`mutation($id: ID!) { pauseCampaign(id: $id) { status } }`, { id }, projectId)).errors).toBeUndefined();

    await ingest(projectId, [event(duringPause, 'Trial Started')]);
    expect(await decisions(campaignId)).toEqual(
      expect.arrayContaining([
        { profile_id: early, outcome: 'requested', reason: null },
        { profile_id: delayed, outcome: 'requested', reason: null },
        { profile_id: duringPause, outcome: 'skipped', reason: 'PAUSED' },
      ]),
    );
    const dataSource = sut.app.get(DataSource);
    const fireOf = async (id: string, profileId: string) =>
      ((await dataSource.query(`SELECT state, cancel_reason FROM campaign_trigger_fire WHERE campaign_id = $1 AND profile_id = $2`, [id, profileId])) as unknown[])[0];
    expect(await fireOf(campaignId, duringPause)).toEqual({ state: 'cancelled', cancel_reason: 'PAUSED' });
    // Paused, the delayed campaign's firings of `early` and `delayed` come due: skipped PAUSED too; its firing of `duringPause`, caused while paused, is skipped at once.
    expect((await decisions(delayedId)).map(({ profile_id, reason }) => [profile_id, reason])).toEqual([[duringPause, 'PAUSED']]);
    jest.spyOn(sut.app.get(Clock), 'now').mockReturnValue(new Date(now.getTime() + 31 * MINUTE));
    const jobs = (await dataSource.query(`SELECT data FROM job WHERE name = $1 AND data->>'campaignId' = $2 AND state = 'created'`, [TRIGGER_FIRE_QUEUE, delayedId])) as { data: never }[];
    expect(jobs).toHaveLength(2);
    for (const job of jobs) await sut.app.get(TriggerFiring).execute(job.data);
    expect((await decisions(delayedId)).map(({ profile_id, reason }) => [profile_id, reason]).sort()).toEqual(
      [[delayed, 'PAUSED'], [early, 'PAUSED'], [duringPause, 'PAUSED']].sort(),
    );
    jest.restoreAllMocks();
    const read = await gql<{ campaign: { status: string; stats: { targeted: number; requested: number; skipped: { reason: string; count: number }[] } } }>(
      `query($id: ID!) { campaign(id: $id) { status stats { targeted requested skipped { reason count } } } }`,
      { id: campaignId },
      projectId,
    );
    expect(read.data!.campaign).toEqual({ status: 'PAUSED', stats: { targeted: 3, requested: 2, skipped: [{ reason: 'PAUSED', count: 1 }] } });
    const messages = await sut.query<{ _entities: { messages: { campaign: { id: string }; sent: boolean; skipReason: string | null }[] }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { messages { campaign { id } sent skipReason } } } }`,
      { r: [{ __typename: 'Profile', id: duringPause }] },
      secretKeyCaller(projectId),
    );
    expect(messages.data!._entities[0]!.messages).toEqual(expect.arrayContaining([{ campaign: { id: campaignId }, sent: false, skipReason: 'PAUSED' }]));

    // Resumed: a new cause sends; the firing skipped while paused is not sent late.
    expect((await gql(`mutation($id: ID!) { resumeCampaign(id: $id) { status } }`, { id: campaignId }, projectId)).errors).toBeUndefined();
    await ingest(projectId, [event(afterResume, 'Trial Started')]);
    expect((await decisions(campaignId)).filter((row) => row.outcome === 'requested').map((row) => row.profile_id).sort()).toEqual([early, delayed, afterResume].sort());

    // Stopped: causes no longer fire it, and a firing still waiting is cancelled NOT_SENDING at once, with no decision (its job, when due, does nothing).
    const stopping = await createTriggered(projectId, { trigger: { event: { name: 'Trial Started' }, delayMinutes: 30 } });
    const late = randomUUID();
    await ingest(projectId, [event(late, 'Trial Started', {}, now)]);
    expect(await fireOf(stopping, late)).toEqual({ state: 'waiting', cancel_reason: null });
    expect((await gql(`mutation($id: ID!) { stopCampaign(id: $id) { status } }`, { id: stopping }, projectId)).errors).toBeUndefined();
    expect(await fireOf(stopping, late)).toEqual({ state: 'cancelled', cancel_reason: 'NOT_SENDING' });
    await ingest(projectId, [event(randomUUID(), 'Trial Started')]);
    jest.spyOn(sut.app.get(Clock), 'now').mockReturnValue(new Date(now.getTime() + 31 * MINUTE));
    const [stoppedJob] = (await dataSource.query(`SELECT data FROM job WHERE name = $1 AND data->>'campaignId' = $2 AND state = 'created'`, [TRIGGER_FIRE_QUEUE, stopping])) as { data: never }[];
    await sut.app.get(TriggerFiring).execute(stoppedJob!.data);
    expect(await decisions(stopping)).toEqual([]);
    expect(await fireOf(stopping, late)).toEqual({ state: 'cancelled', cancel_reason: 'NOT_SENDING' });
  });

  it('fires on entering a segment: every time, or once per N days; the control group still holds', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    const profiles = Array.from({ length: 8 }, () => randomUUID());
    const everyTime = await createTriggered(projectId, { trigger: { segment: { segmentId, change: 'ENTERED' }, reEligibility: 'EVERY_TIME' }, controlPercent: 50 });
    const weekly = await createTriggered(projectId, { trigger: { segment: { segmentId, change: 'ENTERED' }, reEligibility: 'PER_DAYS', reEligibleAfterDays: 7 } });
    const onExit = await createTriggered(projectId, { trigger: { segment: { segmentId, change: 'EXITED' } } });
    for (const profileId of profiles) await membership(projectId, segmentId, profileId, 'entered');
    await membership(projectId, segmentId, profiles[0]!, 'exited');
    await membership(projectId, segmentId, profiles[0]!, 'entered');

    const control = profiles.filter((id) => inControlGroup(everyTime, id, 50));
    const everyTimeRows = await decisions(everyTime);
    expect(everyTimeRows.filter((row) => row.reason === 'CONTROL_GROUP').map((row) => row.profile_id).sort()).toEqual(
      [...control, ...(control.includes(profiles[0]!) ? [profiles[0]!] : [])].sort(),
    );
    expect(everyTimeRows.filter((row) => row.profile_id === profiles[0])).toHaveLength(2);
    expect((await decisions(weekly)).map((row) => row.profile_id).sort()).toEqual([...profiles].sort());
    expect(await decisions(onExit)).toEqual([{ profile_id: profiles[0], outcome: 'requested', reason: null }]);
  });

  it('names the field of an invalid trigger, and warns about an event name never seen', async () => {
    const projectId = randomUUID();
    const fieldOf = async (trigger: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const result = await gql(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`, { input: { name: 'x', channel: 'EMAIL', trigger, ...extra } }, projectId);
      return result.errors?.[0]?.extensions;
    };
    expect(await fieldOf({})).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.trigger' });
    expect(await fieldOf({ event: { name: 'A', where: [{ property: 'price', op: 'BETWEEN', value: 3 }] } })).toMatchObject({ field: expect.stringMatching(/^input\.trigger\.event\.where\[0\]/) });
    expect(await fieldOf({ event: { name: 'A' }, since: { event: 'B', done: false } })).toMatchObject({ field: 'input.trigger.delayMinutes' });
    expect(await fieldOf({ event: { name: 'A' }, reEligibility: 'PER_DAYS' })).toMatchObject({ field: 'input.trigger.reEligibleAfterDays' });
    expect(await fieldOf({ event: { name: 'A' } }, { schedule: { startAt: '2030-01-01T00:00:00Z', timeZone: 'UTC' } })).toMatchObject({ field: 'input.schedule' });

    await ingest(projectId, [event(randomUUID(), 'Signed Up')]);
    const created = await gql<{ createCampaign: { trigger: { event: { name: string; where: unknown[] } }; warnings: { field: string }[] } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { trigger { event { name where { property op value } } delayMinutes reEligibility } warnings { field message } } }`,
      { input: { name: 'x', channel: 'EMAIL', trigger: { event: { name: 'Signed Up', where: [{ property: 'plan', op: 'EQ', value: 'pro' }] }, delayMinutes: 5, since: { event: 'Upgraded', done: false } } } },
      projectId,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createCampaign).toMatchObject({
      trigger: { event: { name: 'Signed Up', where: [{ property: 'plan', op: 'EQ', value: 'pro' }] }, delayMinutes: 5, reEligibility: 'ONCE' },
      warnings: [{ field: 'trigger.since.event' }],
    });
  });
});
