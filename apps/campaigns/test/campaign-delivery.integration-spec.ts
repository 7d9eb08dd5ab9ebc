import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { EmailSendRequested, EventsIngested, SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream, OutboxWriter } from '@boomerang/platform/messaging';
import {
  consumedUpTo,
  createTestMessaging,
  eventually,
  publishMessage,
  secretKeyCaller,
  seedKnownProfiles,
  startTestSubgraph,
  uniqueSubjectPrefix,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { SEGMENT_MEMBERSHIP_DURABLE } from '../src/audience/segment-membership-projection.js';
import { RunOccurrence } from '../src/delivery/run-occurrence.js';
import { GOAL_EVENTS_DURABLE } from '../src/stats/goal-conversions.js';
import { serveSegmentMembers } from './segments-stand-in.js';

interface Stats {
  targeted: number;
  requested: number;
  controlSize: number;
  occurrencesDone: number;
  skipped: { reason: string; count: number }[];
}

const ids = (count: number) => Array.from({ length: count }, () => randomUUID()).sort();
const hhmm = (date: Date) => date.toISOString().slice(11, 16);

describe('campaign delivery', () => {
  let sut: TestSubgraph;
  let messaging: TestMessaging;
  let version = 0;

  beforeAll(async () => {
    const prefix = uniqueSubjectPrefix();
    messaging = await createTestMessaging(prefix);
    // The streams of segments (memberships in) and email (sends out), declared by their owners in production.
    await applyOwnedStream(messaging.jsm, messaging.subjects, 'segments');
    await applyOwnedStream(messaging.jsm, messaging.subjects, 'email');
    await applyOwnedStream(messaging.jsm, messaging.subjects, 'events');
    // Segments these tests name are unknown to segments: their members come live (enter / exit).
    serveSegmentMembers(messaging);
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'campaigns', prefix });
  });
  afterAll(async () => {
    await sut?.close();
    await messaging?.cleanup();
  });

  const gql = async <T>(query: string, variables: Record<string, unknown>, projectId: string) => {
    const result = await sut.query<T>(query, variables, secretKeyCaller(projectId));
    return result;
  };

  const enter = async (projectId: string, segmentId: string, profileIds: readonly string[], change: 'entered' | 'exited' = 'entered') => {
    let ack;
    for (const profileId of profileIds) {
      const body: Omit<MessageOf<typeof SegmentMembershipChanged>, 'projectId' | 'occurredAt'> = { segmentId, profileId, change, version: ++version, cause: 'event', eventId: null };
      ack = await publishMessage(messaging, SegmentMembershipChanged, projectId, body);
    }
    if (ack) await consumedUpTo(messaging, 'segments', SEGMENT_MEMBERSHIP_DURABLE, ack);
  };

  const createCampaign = async (projectId: string, input: Record<string, unknown>) => {
    const result = await gql<{ createCampaign: { id: string } }>(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'Campaign', channel: 'EMAIL', email: { templateId: randomUUID(), templateVersion: 3 }, ...input } },
      projectId,
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createCampaign.id;
  };

  const setStatus = (projectId: string, id: string, status: string) =>
    gql<{ updateCampaignStatus: { status: string } }>(`mutation($id: ID!, $status: CampaignStatus!) { updateCampaignStatus(id: $id, status: $status) { status } }`, { id, status }, projectId);

  const read = async (projectId: string, id: string) => {
    const result = await gql<{ campaign: { status: string; stats: Stats } }>(
      `query($id: ID!) { campaign(id: $id) { status stats { targeted requested controlSize occurrencesDone skipped { reason count } } } }`,
      { id },
      projectId,
    );
    expect(result.errors).toBeUndefined();
    return result.data!.campaign;
  };

  const deliveries = (campaignId: string) =>
    sut.app.get(DataSource).query(`SELECT profile_id, outcome, reason FROM campaign_delivery WHERE campaign_id = $1 ORDER BY profile_id`, [campaignId]) as Promise<
      { profile_id: string; outcome: string; reason: string | null }[]
    >;

  /** The EmailSendRequested messages of the project on the EMAIL stream. */
  const sendsOf = async (projectId: string): Promise<MessageOf<typeof EmailSendRequested>[]> => {
    await sut.flushOutbox();
    const stream = messaging.subjects.streamName('email');
    const info = await messaging.jsm.streams.info(stream);
    const bodies: MessageOf<typeof EmailSendRequested>[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      const body = message?.json<MessageOf<typeof EmailSendRequested>>();
      if (body?.projectId === projectId) bodies.push(body);
    }
    return bodies;
  };

  it('sends once now to the included segments minus the excluded, holding out the control group, and completes', async () => {
    const projectId = randomUUID();
    const [included, other, excluded] = [randomUUID(), randomUUID(), randomUUID()];
    const members = ids(40);
    await enter(projectId, included, members.slice(0, 30));
    await enter(projectId, other, members.slice(25, 40));
    await enter(projectId, excluded, members.slice(0, 5));
    await enter(projectId, included, members.slice(5, 7), 'exited');

    const campaignId = await createCampaign(projectId, { audience: { includeSegmentIds: [included, other], excludeSegmentIds: [excluded] }, controlPercent: 50 });
    expect((await setStatus(projectId, campaignId, 'RUNNING')).errors).toBeUndefined();
    // The campaign row (status) is read before its stats: one answer can show the occurrence done
    // and the status of a moment earlier, so wait for both.
    const done = (await eventually(async () => {
      const campaign = await read(projectId, campaignId);
      return campaign.stats.occurrencesDone === 1 && campaign.status === 'COMPLETED' ? campaign : null;
    }))!;
    const targeted = members.slice(7, 40);
    expect(done.stats.targeted).toBe(targeted.length);
    expect(done.stats.controlSize).toBeGreaterThan(5);
    expect(done.stats.requested + done.stats.controlSize).toBe(targeted.length);
    expect(done.stats.skipped).toEqual([{ reason: 'CONTROL_GROUP', count: done.stats.controlSize }]);

    const rows = await deliveries(campaignId);
    expect(rows.map((row) => row.profile_id)).toEqual(targeted);
    const sends = (await eventually(async () => {
      const found = await sendsOf(projectId);
      return found.length === done.stats.requested ? found : null;
    }))!;
    expect(sends.map((send) => send.profileId).sort()).toEqual(rows.filter((row) => row.outcome === 'requested').map((row) => row.profile_id));
    expect(sends[0]).toMatchObject({ campaignId, templateVersion: 3, journeyId: null, idempotencyKey: expect.stringMatching(new RegExp(`^campaign:${campaignId}:\\d+:`)) });

    // The same control group in a second campaign run of the same campaign id would be the same: sticky per profile.
    const { inControlGroup } = await import('../src/delivery/delivery-policy.js');
    expect(rows.filter((row) => row.reason === 'CONTROL_GROUP').map((row) => row.profile_id)).toEqual(targeted.filter((id) => inControlGroup(campaignId, id, 50)));
  });

  it('never sends twice when an occurrence runs again from its start (a crash before its cursor moved)', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    await enter(projectId, segmentId, ids(12));
    const campaignId = await createCampaign(projectId, { audience: { includeSegmentIds: [segmentId] } });
    await setStatus(projectId, campaignId, 'RUNNING');
    await eventually(async () => (await read(projectId, campaignId)).stats.occurrencesDone === 1);
    expect(await eventually(async () => ((await sendsOf(projectId)).length === 12 ? true : null))).toBe(true);

    const dataSource = sut.app.get(DataSource);
    const [{ occurrence_at }] = await dataSource.query(`SELECT occurrence_at FROM campaign_occurrence WHERE campaign_id = $1`, [campaignId]);
    await dataSource.query(`UPDATE campaign_occurrence SET status = 'running', after_profile_id = NULL WHERE campaign_id = $1`, [campaignId]);
    await dataSource.query(`UPDATE campaign SET status = 'running' WHERE id = $1`, [campaignId]);
    const enqueue = jest.spyOn(sut.app.get(OutboxWriter), 'enqueueMany');
    try {
      await sut.app.get(RunOccurrence).execute({ projectId, campaignId, occurrenceAt: occurrence_at.toISOString() });
      expect(enqueue).not.toHaveBeenCalled();
    } finally {
      enqueue.mockRestore();
    }
    expect((await read(projectId, campaignId)).stats).toMatchObject({ targeted: 12, requested: 12, occurrencesDone: 1 });
    expect(await sendsOf(projectId)).toHaveLength(12);
  });

  it('skips the holdout, capped and too-recent profiles, recording each reason', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    const members = ids(30);
    await enter(projectId, segmentId, members);
    const configured = await gql<{ configureCampaignDelivery: { holdoutPercent: number; emailCap: { max: number; days: number } } }>(
      `mutation { configureCampaignDelivery(input: { holdoutPercent: 10, emailCap: { max: 1, days: 7 } }) { holdoutPercent emailCap { max days } } }`,
      {},
      projectId,
    );
    expect(configured.data!.configureCampaignDelivery).toEqual({ holdoutPercent: 10, emailCap: { max: 1, days: 7 } });

    const first = await createCampaign(projectId, { audience: { includeSegmentIds: [segmentId] } });
    await setStatus(projectId, first, 'RUNNING');
    const firstStats = (await eventually(async () => {
      const { stats } = await read(projectId, first);
      return stats.occurrencesDone === 1 ? stats : null;
    }))!;
    const { inHoldout } = await import('../src/delivery/delivery-policy.js');
    const held = members.filter((id) => inHoldout(projectId, id, 10)).length;
    expect(firstStats).toMatchObject({ targeted: 30, requested: 30 - held });
    expect(firstStats.skipped).toEqual(held ? [{ reason: 'HOLDOUT', count: held }] : []);

    const second = await createCampaign(projectId, { audience: { includeSegmentIds: [segmentId] } });
    await setStatus(projectId, second, 'RUNNING');
    const secondStats = (await eventually(async () => {
      const { stats } = await read(projectId, second);
      return stats.occurrencesDone === 1 ? stats : null;
    }))!;
    expect(secondStats.requested).toBe(0);
    expect(secondStats.skipped).toEqual(expect.arrayContaining([{ reason: 'FREQUENCY_CAP', count: 30 - held }]));

    // A minimum gap alone (the settings are replaced: no cap, no holdout): a recent send still holds the next one back.
    await gql(`mutation { configureCampaignDelivery(input: { minGapMinutes: 60 }) { minGapMinutes } }`, {}, projectId);
    const third = await createCampaign(projectId, { audience: { includeSegmentIds: [segmentId] } });
    await setStatus(projectId, third, 'RUNNING');
    const thirdStats = (await eventually(async () => {
      const { stats } = await read(projectId, third);
      return stats.occurrencesDone === 1 ? stats : null;
    }))!;
    expect(thirdStats).toMatchObject({ targeted: 30, requested: held, skipped: [{ reason: 'MIN_GAP', count: 30 - held }] });
  });

  it('drops sends in quiet hours, or holds the profiles until the end of the window', async () => {
    const projectId = randomUUID();
    const everyone = await seedKnownProfiles(sut, projectId, ids(4));
    const now = new Date();
    const end = new Date(now.getTime() + 2 * 3600_000);
    await gql(`mutation($input: ConfigureCampaignDeliveryInput!) { configureCampaignDelivery(input: $input) { timeZone } }`, {
      input: { timeZone: 'UTC', quietHours: { start: hhmm(new Date(now.getTime() - 3600_000)), end: hhmm(end) } },
    }, projectId);

    const dropping = await createCampaign(projectId, { audience: { everyone: true }, quietHours: 'DROP' });
    await setStatus(projectId, dropping, 'RUNNING');
    const dropped = (await eventually(async () => {
      const { stats } = await read(projectId, dropping);
      return stats.occurrencesDone === 1 ? stats : null;
    }))!;
    expect(dropped).toMatchObject({ targeted: everyone.length, requested: 0, skipped: [{ reason: 'QUIET_HOURS', count: everyone.length }] });

    const deferring = await createCampaign(projectId, { audience: { everyone: true } });
    await setStatus(projectId, deferring, 'RUNNING');
    const dataSource = sut.app.get(DataSource);
    const [job] = (await eventually(async () => {
      const rows = await dataSource.query(`SELECT start_after FROM job WHERE name = 'campaign-quiet-release' AND data->>'campaignId' = $1 AND state = 'created' AND start_after > now() + interval '1 hour'`, [deferring]);
      return rows.length ? rows : null;
    }))!;
    expect(hhmm(job.start_after)).toBe(hhmm(end));
    expect((await read(projectId, deferring)).stats.targeted).toBe(0);
    const [{ held }] = await dataSource.query(`SELECT count(*)::int AS held FROM campaign_quiet_deferral WHERE campaign_id = $1`, [deferring]);
    expect(held).toBe(everyone.length);
  });

  it('throttles to a page per minute, as jobs a minute apart', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    await enter(projectId, segmentId, ids(5));
    const campaignId = await createCampaign(projectId, { audience: { includeSegmentIds: [segmentId] }, throttlePerMinute: 2 });
    await setStatus(projectId, campaignId, 'RUNNING');
    await eventually(async () => (await read(projectId, campaignId)).stats.requested === 2);
    const [next] = await sut.app
      .get(DataSource)
      .query(`SELECT start_after FROM job WHERE name = 'campaign-occurrence' AND data->>'campaignId' = $1 AND state = 'created'`, [campaignId]);
    expect(next.start_after.getTime() - Date.now()).toBeGreaterThan(50_000);
    expect((await read(projectId, campaignId)).status).toBe('RUNNING');
  });

  it('schedules the next occurrence of a recurring campaign', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    await enter(projectId, segmentId, ids(2));
    // Hourly from an hour ago (less 3 s): the first occurrence is due in 3 s, the next an hour later.
    const startAt = new Date(Date.now() - 3600_000 + 3000);
    const campaignId = await createCampaign(projectId, {
      audience: { includeSegmentIds: [segmentId] },
      schedule: { startAt: startAt.toISOString(), timeZone: 'Europe/Berlin', rrule: 'FREQ=HOURLY' },
    });
    await setStatus(projectId, campaignId, 'SCHEDULED');
    await eventually(async () => (await read(projectId, campaignId)).stats.occurrencesDone === 1);
    const occurrences = await sut.app.get(DataSource).query(`SELECT occurrence_at, status FROM campaign_occurrence WHERE campaign_id = $1 ORDER BY occurrence_at`, [campaignId]);
    expect(occurrences.map((row: { status: string }) => row.status)).toEqual(['done', 'pending']);
    expect(occurrences[1].occurrence_at.getTime() - occurrences[0].occurrence_at.getTime()).toBe(3600_000);
    expect((await read(projectId, campaignId)).status).toBe('RUNNING');
  });

  it('names the field of an invalid definition, and refuses to send an incomplete campaign', async () => {
    const projectId = randomUUID();
    const invalid = await gql(
      `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { name: 'x', channel: 'EMAIL', schedule: { startAt: '2030-01-01T00:00:00Z', timeZone: 'UTC', rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' } } },
      projectId,
    );
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.schedule.rrule' });
    const control = await gql(`mutation { createCampaign(input: { name: "x", channel: EMAIL, controlPercent: 100 }) { id } }`, {}, projectId);
    expect(control.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.controlPercent' });
    const holdout = await gql(`mutation { configureCampaignDelivery(input: { holdoutPercent: 1 }) { holdoutPercent } }`, {}, projectId);
    expect(holdout.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.holdoutPercent' });

    const nobody = await createCampaign(projectId, {});
    const refused = await setStatus(projectId, nobody, 'RUNNING');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'audience' });
    const noTemplate = await gql<{ createCampaign: { id: string } }>(`mutation { createCampaign(input: { name: "x", channel: EMAIL, audience: { everyone: true } }) { id } }`, {}, projectId);
    const refusedTemplate = await setStatus(projectId, noTemplate.data!.createCampaign.id, 'SCHEDULED');
    expect(refusedTemplate.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'email' });
    expect((await read(projectId, nobody)).status).toBe('DRAFT');
  });

  it('counts goal conversions of the sent and the control group once each, and the lift with its interval', async () => {
    const projectId = randomUUID();
    const segmentId = randomUUID();
    const members = ids(60);
    await enter(projectId, segmentId, members);
    const campaignId = await createCampaign(projectId, { audience: { includeSegmentIds: [segmentId] }, controlPercent: 50, goal: { event: 'Order Completed', withinDays: 7 } });
    await setStatus(projectId, campaignId, 'RUNNING');
    await eventually(async () => (await read(projectId, campaignId)).stats.occurrencesDone === 1);
    const rows = await deliveries(campaignId);
    const test = rows.filter((row) => row.outcome === 'requested').map((row) => row.profile_id);
    const control = rows.filter((row) => row.reason === 'CONTROL_GROUP').map((row) => row.profile_id);
    const convertingTest = test.slice(0, Math.ceil(test.length * 0.8));
    const convertingControl = control.slice(0, Math.floor(control.length * 0.2));

    const now = Date.now();
    const event = (profileId: string, name: string, at: number) => ({
      eventId: randomUUID(),
      messageId: randomUUID(),
      profileId,
      name,
      timestamp: new Date(at).toISOString(),
      properties: {},
    });
    const events = [
      ...convertingTest.map((id) => event(id, 'Order Completed', now + 1000)),
      ...convertingTest.slice(0, 3).map((id) => event(id, 'Order Completed', now + 2000)), // a second conversion counts once
      ...convertingControl.map((id) => event(id, 'Order Completed', now + 1000)),
      ...control.slice(-2).map((id) => event(id, 'Order Completed', now - 3600_000)), // before the decision
      ...test.slice(-2).map((id) => event(id, 'Order Completed', now + 8 * 86_400_000)), // after the goal window
      ...test.slice(-2).map((id) => event(id, 'Page Viewed', now + 1000)),
    ];
    const ack = await publishMessage(messaging, EventsIngested, projectId, { events });
    await consumedUpTo(messaging, 'events', GOAL_EVENTS_DURABLE, ack);

    const result = await gql<{ campaign: { goal: { event: string; withinDays: number }; stats: Stats & { converted: number; controlConverted: number; lift: Record<string, number | boolean> } } }>(
      `query($id: ID!) { campaign(id: $id) { goal { event withinDays } stats { converted controlConverted lift { testRate controlRate absolute relative low high pValue significant } } } }`,
      { id: campaignId },
      projectId,
    );
    expect(result.errors).toBeUndefined();
    const { goal, stats } = result.data!.campaign;
    expect(goal).toEqual({ event: 'Order Completed', withinDays: 7 });
    expect(stats).toMatchObject({ converted: convertingTest.length, controlConverted: convertingControl.length });
    const { liftOf } = await import('../src/stats/lift.js');
    expect(stats.lift).toEqual(liftOf({ size: test.length, converted: convertingTest.length }, { size: control.length, converted: convertingControl.length }));
    expect(stats.lift.significant).toBe(true);
  });
});
