import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { EventsAttached, MAX_EVENTS_PER_MESSAGE, type MessageOf } from '@boomerang/contracts';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ProfileLinkRepair } from '../src/profile-sync/profile-link-repair.js';
import { ProfileLinks } from '../src/profile-sync/profile-links.js';
import { ingestCommand, startEventsSubgraph, type EventsSubgraph } from './support.js';

type Attached = MessageOf<typeof EventsAttached>;

// Events stored before their identity had a profile are announced again, with it, when a link
// attaches them (EventsAttached through the outbox, in the attaching transaction).
describe('events announce the waiting events a link attaches (EventsAttached)', () => {
  let sut: EventsSubgraph;
  let db: DataSource;
  let projectId: string;
  /** EventsAttached messages of the project already read by the test. */
  let seen = 0;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
  });
  afterAll(() => sut?.close());
  beforeEach(() => {
    projectId = randomUUID();
    seen = 0;
  });

  const ingest = (events: Partial<IngestEventCommand>[]) => sut.app.get(IngestEvents).execute(projectId, events.map((event) => ingestCommand(event)));
  const write = (change: (links: ProfileLinks, manager: EntityManager) => Promise<unknown>) => db.transaction((manager) => change(sut.app.get(ProfileLinks), manager));

  /** The project's EventsAttached messages published since the last call, in stream order (the outbox flushed first). */
  const attachedMessages = async (): Promise<Attached[]> => {
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('events');
    const subject = sut.messaging.subjects.subject(EventsAttached, projectId);
    const info = await sut.messaging.jsm.streams.info(stream, { subjects_filter: subject });
    const count = (info.state.subjects as Record<string, number> | undefined)?.[subject] ?? 0;
    const bodies: Attached[] = [];
    if (count > 0) {
      const consumer = await sut.messaging.js.consumers.get(stream, { filter_subjects: subject });
      for await (const message of await consumer.fetch({ max_messages: count, expires: 2000 })) {
        bodies.push(message.json<Attached>());
        if (bodies.length === count) break;
      }
    }
    const fresh = bodies.slice(seen);
    seen = bodies.length;
    return fresh;
  };

  it('announces the events it attached, each with its profile and in the order they happened; none already linked, none twice', async () => {
    const profileId = randomUUID();
    const base = Date.now() - 60_000;
    const { eventIds: waiting } = await ingest([
      { anonymousId: 'anon-1', name: 'Signed Up', timestamp: new Date(base + 2_000), properties: { plan: 'pro' } },
      { userId: 'user-1', name: 'Viewed', timestamp: new Date(base + 1_000) },
    ]);
    await write((links, manager) => links.link(manager, projectId, profileId, 'user-1', ['anon-1']));
    const [message, ...more] = await attachedMessages();
    expect(more).toEqual([]);
    expect(message!.events.map((event) => [event.eventId, event.name, event.profileId])).toEqual([
      [waiting[1], 'Viewed', profileId],
      [waiting[0], 'Signed Up', profileId],
    ]);
    expect(message!.events[1]).toMatchObject({ anonymousId: 'anon-1', properties: { plan: 'pro' }, type: 'track', timestamp: new Date(base + 2_000).toISOString() });

    // An event ingested once the link is known carries its profile already: a link again attaches and announces nothing.
    const { eventIds: linked } = await ingest([{ anonymousId: 'anon-1' }]);
    const [row] = await db.query(`SELECT profile_id FROM "${sut.schema}".event WHERE id = $1`, [linked[0]]);
    expect(row.profile_id).toBe(profileId);
    expect(await write((links, manager) => links.link(manager, projectId, profileId, 'user-1', ['anon-1']))).toBe(0);
    expect(await attachedMessages()).toEqual([]);
  });

  it(`splits a large attach into messages of ${MAX_EVENTS_PER_MESSAGE} events at most, each event once`, async () => {
    const count = 2 * MAX_EVENTS_PER_MESSAGE + 37;
    const { eventIds } = await ingest(Array.from({ length: count }, () => ({ anonymousId: 'anon-bulk' })));
    expect(await write((links, manager) => links.link(manager, projectId, randomUUID(), null, ['anon-bulk']))).toBe(count);
    const messages = await attachedMessages();
    expect(messages.map((message) => message.events.length)).toEqual([MAX_EVENTS_PER_MESSAGE, MAX_EVENTS_PER_MESSAGE, 37]);
    const announced = messages.flatMap((message) => message.events.map((event) => event.eventId));
    expect(new Set(announced).size).toBe(count);
    expect(new Set(announced)).toEqual(new Set(eventIds));
  });

  it('announces nothing when the attaching transaction rolls back', async () => {
    await ingest([{ anonymousId: 'anon-rollback' }]);
    await expect(
      write(async (links, manager) => {
        await links.link(manager, projectId, randomUUID(), null, ['anon-rollback']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await attachedMessages()).toEqual([]);
    const [row] = await db.query(`SELECT profile_id FROM "${sut.schema}".event WHERE project_id = $1`, [projectId]);
    expect(row.profile_id).toBeNull();
  });

  it('announces the events the repair attaches after they raced a first link', async () => {
    const repair = sut.app.get(ProfileLinkRepair);
    repair.onApplicationShutdown();
    const profileId = randomUUID();
    const { eventIds } = await ingest([{ userId: 'user-raced' }]);
    // A link whose attaching UPDATE ran before the event committed: link written, event still waiting.
    await db.transaction(async (manager) => {
      const [{ version }] = await manager.query(
        `INSERT INTO profile_link_version AS v (project_id, version) VALUES ($1, 1) ON CONFLICT (project_id) DO UPDATE SET version = v.version + 1 RETURNING version`,
        [projectId],
      );
      await manager.query(`INSERT INTO profile_link (project_id, kind, value, profile_id, version) VALUES ($1, 'user_id', 'user-raced', $3, $2)`, [projectId, version, profileId]);
    });
    await repair.run();
    await repair.run();
    const messages = await attachedMessages();
    expect(messages.flatMap((message) => message.events.map((event) => [event.eventId, event.profileId]))).toEqual([[eventIds[0], profileId]]);
  });
});
