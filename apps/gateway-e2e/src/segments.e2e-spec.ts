import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { SegmentMembershipChanged, type MessageOf } from '@boomerang/contracts';
import { connectMessaging, type Messaging } from '@boomerang/platform/messaging';
import { eventually, TEST_NATS_URL } from '@boomerang/platform/testing';
import { bearer, startTestPlatform, type RunningPlatform } from '../../../tools/dev/test-platform.js';

type Change = MessageOf<typeof SegmentMembershipChanged>;

const CREATE_SEGMENT = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id status size failure } }`;
const PROFILE_SEGMENTS = `query($userId: String!) { profileByIdentity(kind: USER_ID, value: $userId) { id segments { id name } } }`;
const ESTIMATE = `query($rules: SegmentRuleInput!) { estimateSegment(rules: $rules) { size totalProfiles } }`;

/**
 * Segments through the whole platform: a segment made through the gateway, events sent by an
 * unmodified Segment client to the ingestion API, profiles and events answering segments over
 * NATS; a profile enters live, shows in Profile.segments, and exits when its profile changes.
 */
describe('segments end to end', () => {
  let platform: RunningPlatform;
  let messaging: Messaging;
  let secretKey: string;
  let publishableKey: string;
  const changes: Change[] = [];

  beforeAll(async () => {
    platform = await startTestPlatform();
    const created = await platform.graphql<{ createProject: { publishableKey: { key: string }; secretKey: { key: string } } }>(
      `mutation { createProject(input: { name: "Segments e2e" }) { publishableKey { key } secretKey { key } } }`,
      {},
      bearer(platform.adminToken),
    );
    expect(created.errors).toBeUndefined();
    secretKey = created.data!.createProject.secretKey.key;
    publishableKey = created.data!.createProject.publishableKey.key;
    messaging = await connectMessaging({ url: TEST_NATS_URL, name: 'segments-e2e', prefix: platform.subjectPrefix });
    const subscription = messaging.nc.subscribe(messaging.subjects.filter(SegmentMembershipChanged));
    void (async () => {
      for await (const message of subscription) changes.push(message.json<Change>());
    })();
  }, 240_000);
  afterAll(async () => {
    await messaging?.nc.close();
    await platform?.stop();
  });

  it('lets a profile enter on an event sent by a Segment client, shows it in Profile.segments, and lets it exit when its profile changes', async () => {
    const userId = `shopper-${randomUUID()}`;
    const analytics = new Analytics({ writeKey: secretKey, host: platform.ingestUrl, path: '/v1/batch', flushAt: 1, maxRetries: 3 });
    analytics.identify({ userId, traits: { plan: 'pro' } });
    await analytics.closeAndFlush();

    const rules = {
      and: [
        { event: { name: 'Added To Cart', within: { hours: 1 }, where: [{ property: 'price', op: 'GTE', value: 10 }] } },
        { profile: { property: 'plan', op: 'EQ', value: 'pro' } },
      ],
    };
    const segment = await platform.graphql<{ createSegment: { id: string; status: string; size: number; failure: string | null } }>(
      CREATE_SEGMENT,
      { input: { name: 'Carted pros', kind: 'DYNAMIC', rules } },
      bearer(secretKey),
    );
    expect(segment.errors).toBeUndefined();
    const segmentId = segment.data!.createSegment.id;
    expect(segment.data!.createSegment).toMatchObject({ status: 'READY', size: 0, failure: null });
    // Its members came from events' one-pass scan and its leaf states may still be filling: an event
    // arriving meanwhile is applied by the recompute after the fill, which names it as the cause, as
    // the live path does once the states are there.

    const live = new Analytics({ writeKey: publishableKey, host: platform.ingestUrl, path: '/v1/batch', flushAt: 1, maxRetries: 3 });
    live.track({ userId, event: 'Added To Cart', properties: { price: 25, sku: 'boots' } });
    await live.closeAndFlush();

    const entered = await eventually(() => changes.find((c) => c.segmentId === segmentId && c.change === 'entered'), { timeoutMs: 20_000 });
    expect(entered).toMatchObject({ cause: 'event', version: 1, eventId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/) });
    const profile = await eventually(
      async () => {
        const answer = await platform.graphql<{ profileByIdentity: { id: string; segments: { id: string }[] } | null }>(PROFILE_SEGMENTS, { userId }, bearer(secretKey));
        return answer.data?.profileByIdentity?.segments.some((s) => s.id === segmentId) ? answer.data.profileByIdentity : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(entered!.profileId).toBe(profile!.id);

    const estimate = await platform.graphql<{ estimateSegment: { size: number } }>(ESTIMATE, { rules }, bearer(secretKey));
    expect(estimate.data?.estimateSegment.size).toBe(1);

    // The product's backend moves the user to the free plan: the profile exits.
    const backend = new Analytics({ writeKey: secretKey, host: platform.ingestUrl, path: '/v1/batch', flushAt: 1, maxRetries: 3 });
    backend.identify({ userId, traits: { plan: 'free' } });
    await backend.closeAndFlush();
    const exited = await eventually(() => changes.find((c) => c.segmentId === segmentId && c.change === 'exited'), { timeoutMs: 20_000 });
    expect(exited).toMatchObject({ profileId: profile!.id, cause: 'profile' });
    const after = await platform.graphql<{ profileByIdentity: { segments: { id: string }[] } }>(PROFILE_SEGMENTS, { userId }, bearer(secretKey));
    expect(after.data!.profileByIdentity.segments.map((s) => s.id)).not.toContain(segmentId);
  });

  it('counts each event once and publishes each entry once while segments is killed (SIGKILL) during a live stream', async () => {
    const rules = { event: { name: 'Level Up', count: { exactly: 3 } } };
    const segment = await platform.graphql<{ createSegment: { id: string } }>(CREATE_SEGMENT, { input: { name: 'Exactly three', kind: 'DYNAMIC', rules } }, bearer(secretKey));
    expect(segment.errors).toBeUndefined();
    const segmentId = segment.data!.createSegment.id;
    const players = Array.from({ length: 150 }, (_, index) => `player-${index}-${randomUUID()}`);
    const send = async (round: number) => {
      const batch = players.map((userId) => ({ type: 'track', userId, event: 'Level Up', properties: { round }, messageId: `${userId}-${round}` }));
      const response = await fetch(`${platform.ingestUrl}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}` },
        body: JSON.stringify({ batch }),
      });
      expect(response.status).toBe(200);
    };
    await send(1);
    await send(2);
    // A crash while the second round is being evaluated, and the third round sent while segments is down.
    await platform.stopService('segments', 'SIGKILL');
    await send(3);
    await send(2); // a client retry: same messageIds, stored once by events
    await platform.startService('segments');

    await eventually(
      async () => {
        const answer = await platform.graphql<{ segment: { size: number } }>(`query($id: ID!) { segment(id: $id) { size } }`, { id: segmentId }, bearer(secretKey));
        return answer.data?.segment.size === players.length || undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    // What JetStream holds (deduplicated by message id): one entry per player, no exit. The size is
    // committed with the outbox rows; the relay publishes them just after, so the stream may lag it.
    const stream = messaging.subjects.streamName('segments');
    const readStored = async () => {
      // The whole stream, filtered here (one subject filter per consumer needs NATS 2.10).
      const consumer = await messaging.js.consumers.get(stream);
      const stored: Change[] = [];
      const info = await messaging.jsm.streams.info(stream);
      const messages = await consumer.fetch({ max_messages: info.state.messages, expires: 5000 });
      for await (const message of messages) {
        if (message.subject.endsWith('.membership-changed')) stored.push(message.json<Change>());
        if (message.info.pending === 0) break;
      }
      return stored.filter((change) => change.segmentId === segmentId);
    };
    await eventually(async () => ((await readStored()).filter((change) => change.change === 'entered').length >= players.length) || undefined, {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    const mine = await readStored();
    expect(mine.filter((change) => change.change === 'exited')).toEqual([]);
    expect(mine.filter((change) => change.change === 'entered')).toHaveLength(players.length);
    expect(new Set(mine.map((change) => change.profileId)).size).toBe(players.length);
  }, 300_000);
});
