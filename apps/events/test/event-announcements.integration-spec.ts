import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { EventsIngested, MAX_EVENTS_PER_MESSAGE } from '@boomerang/contracts';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { EventAnnouncements } from '../src/ingestion/event-announcements.js';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ingestCommand, publishedEvents, readPublishedEvents, startEventsSubgraph } from './support.js';

/** What EventsIngested carries, live after the commit and rebuilt by the recovery sweep when the publisher died. */
describe('EventAnnouncements', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  let ingest: IngestEvents;
  let announcements: EventAnnouncements;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
    ingest = sut.app.get(IngestEvents);
    announcements = sut.app.get(EventAnnouncements);
  });
  afterAll(() => sut?.close());

  const at = new Date('2026-03-04T05:06:07.089Z');
  /** One event of each kind, with the fields each kind announces. */
  const commands = (): IngestEventCommand[] => [
    ingestCommand({
      messageId: 'track',
      userId: 'u-1',
      anonymousId: 'a-1',
      properties: { price: 9.5, tags: ['x'] },
      context: { ip: '203.0.113.1', device: { id: 'device-1', type: 'ios' } },
      timestamp: at,
    }),
    ingestCommand({
      messageId: 'identify',
      type: 'identify',
      name: 'identify',
      userId: 'u-1',
      properties: { plan: 'pro' },
      traits: { plan: 'pro' },
      context: { timezone: 'Europe/Paris' },
      timestamp: at,
    }),
    ingestCommand({
      messageId: 'group',
      type: 'group',
      name: 'group',
      userId: 'u-1',
      properties: { groupId: 'g-1', traits: {} },
      traits: { groupId: 'g-1', traits: {} },
      // Longer than a device identity may be: not announced.
      context: { device: { id: 'd'.repeat(256) } },
      timestamp: at,
    }),
    ingestCommand({ messageId: 'alias', type: 'alias', name: 'alias', userId: 'u-1', properties: { previousId: 'a-1' }, previousId: 'a-1', timestamp: at }),
  ];
  /** The announced events without what differs between two ingests of the same commands. */
  const comparable = (events: Record<string, unknown>[]) => events.map(({ eventId: _eventId, projectId: _projectId, ...event }) => event);
  const unannounced = async () => ((await db.query(`SELECT count(*)::int AS n FROM event_announcement`)) as { n: number }[])[0]!.n;

  it('publishes after the commit and leaves no row behind', async () => {
    const projectId = randomUUID();
    const { eventIds } = await ingest.execute(projectId, commands());
    const published = await publishedEvents(sut, projectId);
    expect(published.map((event) => event.eventId)).toEqual(eventIds);
    expect(published.map((event) => event.messageId)).toEqual(['track', 'identify', 'group', 'alias']);
    // Segment's context.device.id, on any call (the rebuilt announcement below carries it alike).
    expect(published.map((event) => event.deviceId)).toEqual(['device-1', undefined, undefined, undefined]);
    expect(await unannounced()).toBe(0);
  });

  it('re-announces from the stored events what a publisher that died after the commit did not send, exactly as it would have', async () => {
    const live = randomUUID();
    await ingest.execute(live, commands());
    const expected = comparable(await publishedEvents(sut, live));

    const orphaned = randomUUID();
    const publish = jest.spyOn(announcements, 'publish').mockImplementation(() => undefined);
    try {
      await ingest.execute(orphaned, commands());
    } finally {
      publish.mockRestore();
    }
    expect(await unannounced()).toBe(1);
    expect(await readPublishedEvents(sut.messaging, orphaned)).toEqual([]);
    // flushOutbox runs the recovery sweep without its grace period.
    await sut.flushOutbox();
    expect(comparable(await publishedEvents(sut, orphaned))).toEqual(expected);
    expect(await unannounced()).toBe(0);
    // A second sweep finds nothing to send again.
    await sut.flushOutbox();
    expect(await publishedEvents(sut, orphaned)).toHaveLength(4);
  });

  it('re-announces each message of a large call with exactly its own events, in order', async () => {
    const projectId = randomUUID();
    const many = Array.from({ length: MAX_EVENTS_PER_MESSAGE + 3 }, (_, n) => ingestCommand({ messageId: `many-${n}`, userId: `u-${n}` }));
    const publish = jest.spyOn(announcements, 'publish').mockImplementation(() => undefined);
    let eventIds: string[];
    try {
      ({ eventIds } = await ingest.execute(projectId, many));
    } finally {
      publish.mockRestore();
    }
    expect(await unannounced()).toBe(2);
    await sut.flushOutbox();
    expect((await readPublishedEvents(sut.messaging, projectId)).map((event) => event.eventId)).toEqual(eventIds);
    const subject = sut.messaging.subjects.subject(EventsIngested, projectId);
    const info = await sut.messaging.jsm.streams.info(sut.messaging.subjects.streamName('events'), { subjects_filter: subject });
    expect(info.state.subjects).toEqual({ [subject]: 2 });
    expect(await unannounced()).toBe(0);
  });
});
