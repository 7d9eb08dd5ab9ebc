import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ListProfileSnapshots, ProfileChanged, type MessageOf } from '@boomerang/contracts';
import { callRpc, type DeadLetter } from '@boomerang/platform/messaging';
import { Clock } from '@boomerang/platform/subgraph';
import { eventually, type TestSubgraph } from '@boomerang/platform/testing';
import { IngestEvents, type IngestedEvent } from '../src/ingestion/ingest-events.js';
import { ProfileSnapshotsResponder, type ProfileSnapshotsPage } from '../src/profiles/profile-snapshots.responder.js';
import { IngestedEventsStream, ingestedEvent, secretKeyCaller, startProfilesSubgraph } from './support.js';

type Changed = MessageOf<typeof ProfileChanged>;

const NO_ATTRIBUTES = {
  email: null,
  phone: null,
  name: null,
  timeZone: null,
  locale: null,
  emailSubscribed: null,
  smsSubscribed: null,
  pushSubscribed: null,
  whatsappSubscribed: null,
  phoneDnd: null,
};

/** ProfileChanged: one snapshot per profile a transaction changed, as its row was written; and ListProfileSnapshots. */
describe('profiles: ProfileChanged snapshots', () => {
  let sut: TestSubgraph;
  let events: IngestedEventsStream;
  let dataSource: DataSource;

  beforeAll(async () => {
    sut = await startProfilesSubgraph();
    events = await IngestedEventsStream.declare(sut);
    dataSource = sut.app.get(DataSource);
  });
  afterAll(() => sut?.close());

  const streamName = () => sut.messaging.subjects.streamName('profiles');

  /** Every ProfileChanged of the project on the stream, in stream order (the outbox flushed first). */
  const changedOf = async (projectId: string): Promise<Changed[]> => {
    await sut.flushOutbox();
    const subject = sut.messaging.subjects.subject(ProfileChanged, projectId);
    const info = await sut.messaging.jsm.streams.info(streamName(), { subjects_filter: subject });
    const count = info.state.subjects?.[subject] ?? 0;
    if (count === 0) return [];
    const consumer = await sut.messaging.js.consumers.get(streamName(), { filter_subjects: subject });
    const bodies: Changed[] = [];
    try {
      for await (const message of await consumer.fetch({ max_messages: count, expires: 5_000 })) {
        bodies.push(message.json<Changed>());
        if (bodies.length === count) break;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
    return bodies;
  };
  const ingest = async (projectId: string, fields: Record<string, unknown>) => {
    await events.publish(ingestedEvent(projectId, { name: String(fields.type ?? 'track'), ...fields }));
    await events.handled();
  };
  const graphql = async <T>(projectId: string, query: string, variables: Record<string, unknown>) => {
    const result = await sut.query<T>(query, variables, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    return result.data!;
  };
  const rowOf = async (id: string) =>
    ((await dataSource.query(`SELECT created_at, updated_at FROM profile WHERE id = $1`, [id])) as { created_at: Date; updated_at: Date }[])[0]!;

  it('announces a profile created by ingestion, its identify, consent and unset property, and a merge: the survivor only', async () => {
    const project = randomUUID();
    await ingest(project, { type: 'track', anonymousId: 'anon-1' });
    const [created, ...none] = await changedOf(project);
    expect(none).toEqual([]);
    const row = await rowOf(created!.profileId);
    expect(created).toEqual({
      projectId: project,
      occurredAt: row.updated_at.toISOString(),
      profileId: expect.any(String),
      externalId: null,
      properties: {},
      attributes: { ...NO_ATTRIBUTES, createdAt: row.created_at.toISOString() },
      contact: { email: null, phone: null },
      updatedAt: row.updated_at.toISOString(),
    });
    const profileId = created!.profileId;

    await ingest(project, {
      type: 'identify',
      userId: 'user-1',
      anonymousId: 'anon-1',
      traits: { plan: 'pro', visits: { $incr: 2 }, email: 'Ada@Example.com', phone: '+14155550123', name: 'Ada', Tz: 'Europe/Lisbon', 'MSG-email': true },
      context: { locale: 'pt_PT' },
    });
    const identified = (await changedOf(project)).at(-1)!;
    expect(identified).toEqual({
      ...created,
      occurredAt: identified.updatedAt,
      externalId: 'user-1',
      properties: { plan: 'pro', visits: 2 },
      attributes: { ...created!.attributes, email: true, phone: true, name: 'Ada', timeZone: 'Europe/Lisbon', locale: 'pt-PT', emailSubscribed: true },
      contact: { email: 'Ada@Example.com', phone: '+14155550123' },
      updatedAt: (await rowOf(profileId)).updated_at.toISOString(),
    });
    expect(Date.parse(identified.updatedAt)).toBeGreaterThan(Date.parse(created!.updatedAt));

    // The same traits again change no snapshot (consent is re-stamped, its decision stays): nothing announced. A track alone writes nothing.
    await ingest(project, { type: 'identify', userId: 'user-1', traits: { plan: 'pro', name: 'Ada', 'MSG-email': true } });
    await ingest(project, { type: 'track', userId: 'user-1' });
    expect(await changedOf(project)).toHaveLength(2);

    await ingest(project, { type: 'identify', userId: 'user-1', traits: { 'MSG-email': false, 'MSG-sms': true, 'MSG-dndPhone': true, visits: { $delete: true } } });
    const consented = (await changedOf(project)).at(-1)!;
    expect(consented.profileId).toBe(profileId);
    expect(consented.properties).toEqual({ plan: 'pro' });
    expect(consented.attributes).toMatchObject({ emailSubscribed: false, smsSubscribed: true, pushSubscribed: null, whatsappSubscribed: null, phoneDnd: true });

    // An anonymous visitor with a property, then identified as user-1: merged into user-1's profile.
    await ingest(project, { type: 'identify', anonymousId: 'anon-2', traits: { country: 'PT' } });
    const visitor = (await changedOf(project)).at(-1)!;
    expect(visitor).toMatchObject({ externalId: null, properties: { country: 'PT' } });
    expect(visitor.profileId).not.toBe(profileId);
    const before = (await changedOf(project)).length;
    await ingest(project, { type: 'identify', userId: 'user-1', anonymousId: 'anon-2' });
    const after = (await changedOf(project)).slice(before);
    expect(after).toEqual([
      expect.objectContaining({ profileId, properties: { plan: 'pro', country: 'PT' }, contact: { email: 'Ada@Example.com', phone: '+14155550123' } }),
    ]);
    const merged = (await dataSource.query(`SELECT merged_into FROM profile WHERE id = $1`, [visitor.profileId])) as { merged_into: string }[];
    expect(merged[0]!.merged_into).toBe(profileId);
  });

  it('announces GraphQL creates, property updates and merges; updatedAt moves on every change, even within one millisecond', async () => {
    const project = randomUUID();
    const clock = sut.app.get(Clock);
    const now = clock.now;
    const pinned = new Date('2026-03-01T12:00:00.000Z');
    clock.now = () => pinned;
    try {
      const { createProfile: user } = await graphql<{ createProfile: { id: string } }>(
        project,
        `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`,
        { input: { externalId: 'ext-1', email: 'grace@example.com', name: 'Grace', properties: { plan: 'free', joined: '2026-01-31' } } },
      );
      const { createProfile: visitor } = await graphql<{ createProfile: { id: string } }>(
        project,
        `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`,
        { input: { anonymousId: 'visitor', phone: '+351910000000', properties: { plan: 'trial', source: 'ad' } } },
      );
      await graphql(project, `mutation($id: ID!, $p: JSON!) { updateProfileProperties(id: $id, properties: $p) { id } }`, { id: user.id, p: { plan: 'pro' } });
      await graphql(project, `mutation($a: ID!, $b: ID!) { mergeProfiles(profileId: $a, mergedProfileId: $b) { id } }`, { a: user.id, b: visitor.id });

      const messages = await changedOf(project);
      expect(messages.map((message) => message.profileId)).toEqual([user.id, visitor.id, user.id, user.id]);
      const [created, , updated, survivor] = messages as [Changed, Changed, Changed, Changed];
      expect(created).toMatchObject({
        externalId: 'ext-1',
        properties: { plan: 'free', joined: '2026-01-31T00:00:00.000Z' },
        attributes: { ...NO_ATTRIBUTES, email: true, name: 'Grace', createdAt: pinned.toISOString() },
        contact: { email: 'grace@example.com', phone: null },
        updatedAt: pinned.toISOString(),
      });
      expect(updated.properties).toEqual({ plan: 'pro', joined: '2026-01-31T00:00:00.000Z' });
      expect(survivor).toMatchObject({
        properties: { plan: 'pro', joined: '2026-01-31T00:00:00.000Z', source: 'ad' },
        attributes: { email: true, phone: true },
        contact: { email: 'grace@example.com', phone: '+351910000000' },
      });
      // The clock stood still: each change still moved updated_at, by a millisecond.
      expect([created, updated, survivor].map((message) => Date.parse(message.updatedAt) - pinned.getTime())).toEqual([0, 1, 2]);
      expect(survivor.updatedAt).toBe((await rowOf(user.id)).updated_at.toISOString());
    } finally {
      clock.now = now;
    }
  });

  it('publishes one ProfileChanged per changed profile of a batch (500 events, 200 profiles) in one outbox row, with as many statements as a small batch', async () => {
    const ingestEvents = sut.app.get(IngestEvents);
    const project = randomUUID();
    const small = randomUUID();
    /** 250 users, two events each: u0–u99 new (track), u100–u199 existing and identified ($incr), u200–u249 existing with a track only. */
    const batchOf = (projectId: string, users: number): IngestedEvent[] =>
      Array.from({ length: users * 2 }, (_, n) => {
        const user = n % users;
        const identify = user >= users * 0.4 && user < users * 0.8;
        return ingestedEvent(projectId, identify ? { type: 'identify', userId: `u${user}`, traits: { visits: { $incr: 1 } } } : { type: 'track', userId: `u${user}` });
      });
    const existing = (projectId: string, users: number) =>
      Array.from({ length: users * 0.6 }, (_, n) => ingestedEvent(projectId, { type: 'track', userId: `u${users * 0.4 + n}` }));
    await dataSource.transaction((manager) => ingestEvents.execute(manager, [...existing(project, 250), ...existing(small, 25)]));
    await changedOf(project);

    const run = async (batch: IngestedEvent[]) => {
      const statements: { sql: string; parameters?: unknown[] }[] = [];
      await dataSource.transaction(async (manager) => {
        const runner = manager.queryRunner!;
        const query = runner.query.bind(runner);
        runner.query = ((sql: string, parameters?: unknown[], ...rest: unknown[]) => {
          statements.push({ sql, parameters });
          return (query as (...args: unknown[]) => unknown)(sql, parameters, ...rest);
        }) as typeof runner.query;
        await ingestEvents.execute(manager, batch);
      });
      return statements;
    };
    const large = await run(batchOf(project, 250));
    const smallStatements = await run(batchOf(small, 25));
    expect(large).toHaveLength(smallStatements.length);
    const changedRows = large.filter(({ sql, parameters }) => /INSERT INTO .*outbox/.test(sql) && String(parameters?.[2]).endsWith('.changed'));
    expect(changedRows).toHaveLength(1);
    expect(changedRows[0]!.parameters![4]).toHaveLength(200);

    const bodies = await changedOf(project);
    const byUser = new Map(bodies.map((body) => [body.externalId!, body]));
    const announced = bodies.slice(-200);
    expect(new Set(announced.map((body) => body.profileId)).size).toBe(200);
    expect(announced.map((body) => body.externalId).sort()).toEqual(Array.from({ length: 200 }, (_, n) => `u${n}`).sort());
    expect(byUser.get('u150')!.properties).toEqual({ visits: 2 });
    expect(byUser.get('u50')!.properties).toEqual({});
    expect(bodies.filter((body) => body.externalId === 'u220')).toHaveLength(1); // created before, not changed by the batch
  });

  it('answers ListProfileSnapshots: every project, id order, merged and erased left out, each as its latest ProfileChanged', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const create = async (projectId: string, input: Record<string, unknown>) =>
      (await graphql<{ createProfile: { id: string } }>(projectId, `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`, { input })).createProfile.id;
    const survivor = await create(a, { externalId: 'snap-survivor', email: 'snap@example.com', properties: { tier: 1 } });
    const merged = await create(a, { anonymousId: 'snap-merged', properties: { big: 'x'.repeat(2_000) } });
    const erased = await create(a, { externalId: 'snap-erased' });
    const kept = await create(b, { externalId: 'snap-kept', phone: '+14155550199' });
    await graphql(a, `mutation($s: ID!, $m: ID!) { mergeProfiles(profileId: $s, mergedProfileId: $m) { id } }`, { s: survivor, m: merged });
    await graphql(a, `mutation($id: ID!) { eraseProfile(id: $id) }`, { id: erased });

    const walk = async (page: (after: string | null) => Promise<ProfileSnapshotsPage>) => {
      const pages: ProfileSnapshotsPage['profiles'][] = [];
      for (let after: string | null = null, more = true; more; ) {
        const current: ProfileSnapshotsPage = await page(after);
        pages.push(current.profiles);
        after = current.next;
        more = after !== null;
      }
      return pages;
    };
    const all = (await walk((after) => callRpc(sut.messaging.nc, sut.messaging.subjects, ListProfileSnapshots, { after, limit: 500 }))).flat();
    const ours = all.filter((profile) => profile.projectId === a || profile.projectId === b);
    expect(ours.map((profile) => profile.profileId)).toEqual([survivor, kept].sort());
    expect(all.map((profile) => profile.profileId)).toEqual(all.map((profile) => profile.profileId).sort());
    const latest = async (projectId: string, id: string) => {
      const { occurredAt: _occurredAt, ...snapshot } = (await changedOf(projectId)).filter((body) => body.profileId === id).at(-1)!;
      return snapshot;
    };
    expect(ours).toEqual(
      [await latest(a, survivor), await latest(b, kept)].sort((x, y) => x.profileId.localeCompare(y.profileId)),
    );
    expect(ours.find((profile) => profile.profileId === survivor)).toMatchObject({ properties: { tier: 1, big: 'x'.repeat(2_000) }, contact: { email: 'snap@example.com' } });

    // A page ends early where the reply would outgrow the payload limit (here a tiny one), and says where to go on.
    const responder = sut.app.get(ProfileSnapshotsResponder);
    const small = await walk((after) => responder.page(after, 500, 1_500));
    expect(small.flat().map((profile) => profile.profileId)).toEqual(all.map((profile) => profile.profileId));
    expect(small.length).toBeGreaterThan(all.length / 3);
  });

  it("erases an erased profile's ProfileChanged (its tombstones' too) from the stream and the dead letters, keeping other profiles'", async () => {
    const project = randomUUID();
    const create = async (input: Record<string, unknown>) =>
      (await graphql<{ createProfile: { id: string } }>(project, `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`, { input })).createProfile.id;
    const person = await create({ externalId: 'erase-me', email: 'erase-me@example.com', phone: '+14155550111' });
    const tombstone = await create({ anonymousId: 'erase-me-too', email: 'other-address@example.com' });
    await graphql(project, `mutation($a: ID!, $b: ID!) { mergeProfiles(profileId: $a, mergedProfileId: $b) { id } }`, { a: person, b: tombstone });
    const bystander = await create({ externalId: 'bystander', properties: { referredBy: person } });
    const before = await changedOf(project);
    expect(before.map((body) => body.profileId)).toEqual([person, tombstone, person, bystander]);

    // A consumer (segments, email) gave up on one of the person's snapshots: its letter carries the contact details too.
    const subject = sut.messaging.subjects.subject(ProfileChanged, project);
    const letter: DeadLetter = {
      consumer: 'segments-profile-changes',
      subject,
      streamSequence: 1,
      deliveries: 5,
      error: 'test',
      payload: JSON.stringify(before[0]),
      deadLetteredAt: new Date().toISOString(),
    };
    await sut.messaging.js.publish(sut.messaging.subjects.deadLetterSubject(letter.consumer), JSON.stringify(letter));

    await graphql(project, `mutation($id: ID!) { eraseProfile(id: $id) }`, { id: person });
    await sut.flushOutbox();
    const remaining = await eventually(
      async () => {
        const bodies = await changedOf(project);
        if (bodies.length !== 1) throw new Error(`${bodies.length} snapshots left`);
        return bodies;
      },
      { timeoutMs: 20_000 },
    );
    expect(remaining.map((body) => body.profileId)).toEqual([bystander]);
    // The eraser reads the dead letters after the stream: waited for, not read the moment the stream is clean.
    const lettersLeft = async () => {
      const letters = await sut.messaging.jsm.streams.info(sut.messaging.subjects.deadLetterStream, {
        subjects_filter: sut.messaging.subjects.deadLetterSubject(letter.consumer),
      });
      return letters.state.subjects?.[sut.messaging.subjects.deadLetterSubject(letter.consumer)] ?? 0;
    };
    await eventually(async () => (await lettersLeft()) === 0, { timeoutMs: 20_000 });
    expect(await lettersLeft()).toBe(0);
  });
});
