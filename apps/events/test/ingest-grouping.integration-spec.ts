import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { TestSubgraph } from '@boomerang/platform/testing';
import type { IngestEventCommand } from '../src/ingestion/ingest-event.command.js';
import { IngestEvents } from '../src/ingestion/ingest-events.use-case.js';
import { ingestCommand, publishedEvents, startEventsSubgraph } from './support.js';

const command = (messageId: string, extra: Partial<IngestEventCommand> = {}): IngestEventCommand =>
  ingestCommand({ messageId, userId: 'u-1', properties: { n: messageId }, ...extra });

/** Calls that arrive while others are being written share one transaction; each still gets its own answer. */
describe('IngestEvents groups concurrent calls', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  let ingest: IngestEvents;

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
    ingest = sut.app.get(IngestEvents);
  });
  afterAll(() => sut?.close());

  const stored = async (projectId: string) =>
    (await db.query(`SELECT message_id, id FROM event WHERE project_id = $1 ORDER BY message_id`, [projectId])) as { message_id: string; id: string }[];

  it('answers each of many concurrent calls (two projects, a messageId repeated across calls) as if it ran alone', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const calls = [
      ingest.execute(a, [command('a-1'), command('a-2')]),
      ingest.execute(b, [command('a-1')]), // same messageId, other project: a different event
      ingest.execute(a, [command('a-3')]),
      ingest.execute(a, [command('a-2'), command('a-4')]), // a-2 repeats the first call's
      ingest.execute(b, [command('b-1')]),
      ingest.execute(a, [command('a-5')]),
    ];
    const results = await Promise.all(calls);
    expect(results.map((result) => result.inserted)).toEqual([2, 1, 1, 1, 1, 1]);
    const inA = new Map((await stored(a)).map((row) => [row.message_id, row.id]));
    const inB = new Map((await stored(b)).map((row) => [row.message_id, row.id]));
    expect([...inA.keys()]).toEqual(['a-1', 'a-2', 'a-3', 'a-4', 'a-5']);
    expect([...inB.keys()]).toEqual(['a-1', 'b-1']);
    expect(results[0]!.eventIds).toEqual([inA.get('a-1'), inA.get('a-2')]);
    expect(results[1]!.eventIds).toEqual([inB.get('a-1')]);
    expect(results[3]!.eventIds).toEqual([inA.get('a-2'), inA.get('a-4')]);
    expect(inA.get('a-1')).not.toEqual(inB.get('a-1'));

    // Each new event announced exactly once, under its event id, whatever the grouping.
    const announced = await publishedEvents(sut, a);
    // (Concurrent groups may commit in either order.)
    expect(announced.map((event) => [event.messageId, event.eventId]).sort()).toEqual([...inA.entries()].sort());
  });

  it('stores events under time-ordered ids, so the primary key grows at its right edge as events arrive', async () => {
    const projectId = randomUUID();
    const first = await ingest.execute(projectId, [command('t-1'), command('t-2'), command('t-3')]);
    const second = await ingest.execute(projectId, [command('t-4'), command('t-5')]);
    const ids = [...first.eventIds, ...second.eventIds];
    // UUIDv7: version 7, and in the order the events were written (random v4 ids would be in any order).
    expect(ids.every((id) => id[14] === '7')).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });

  it('fails only the call whose write fails when it shared a group with others', async () => {
    const projectId = randomUUID();
    // properties that are not an object violate the table's CHECK: that call's write fails.
    const broken = command('bad-1', { properties: ['not', 'an', 'object'] as unknown as Record<string, unknown> });
    const outcomes = await Promise.allSettled([
      ingest.execute(projectId, [command('ok-1')]),
      ingest.execute(projectId, [command('ok-2')]),
      ingest.execute(projectId, [command('ok-3')]),
      ingest.execute(projectId, [broken]),
      ingest.execute(projectId, [command('ok-4')]),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((await stored(projectId)).map((row) => row.message_id)).toEqual(['ok-1', 'ok-2', 'ok-3', 'ok-4']);
  });
});
