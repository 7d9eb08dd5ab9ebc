import { randomUUID } from 'node:crypto';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { publishableKeyCaller, secretKeyCaller, startEventsSubgraph } from './support.js';


const INGEST = `mutation($input: IngestBatchInput!) { ingestEvents(input: $input) { accepted duplicates eventIds } }`;

interface Ingested {
  ingestEvents: { accepted: number; duplicates: number; eventIds: string[] };
}
interface StoredEvent {
  type: string;
  name: string;
  userId: string | null;
  anonymousId: string | null;
  properties: Record<string, unknown>;
}
interface EventList<TNode> {
  events: { edges: { node: TNode }[] };
}

describe('server-side ingestion through GraphQL (identify, batch)', () => {
  let sut: TestSubgraph;
  const projectId = randomUUID();
  beforeAll(async () => {
    sut = await startEventsSubgraph();
  });
  afterAll(() => sut?.close());

  it('records a batch of mixed calls once, even when it is sent again', async () => {
    const events = [
      { type: 'TRACK', name: 'Order Completed', userId: 'u-1', properties: { total: 30 }, messageId: 'g-1' },
      { type: 'PAGE', name: 'Pricing', anonymousId: 'a-1', messageId: 'g-2' },
      { type: 'IDENTIFY', userId: 'u-1', traits: { plan: 'pro' }, messageId: 'g-3' },
      { type: 'ALIAS', userId: 'u-1', previousId: 'a-1', messageId: 'g-4' },
      { type: 'GROUP', userId: 'u-1', groupId: 'acme', traits: { seats: 5 }, messageId: 'g-5' },
    ];
    const first = await sut.query<Ingested>(INGEST, { input: { events } }, publishableKeyCaller(projectId));
    expect(first.errors).toBeUndefined();
    expect(first.data!.ingestEvents).toMatchObject({ accepted: 5, duplicates: 0 });
    const again = await sut.query<Ingested>(INGEST, { input: { events } }, publishableKeyCaller(projectId));
    expect(again.data!.ingestEvents).toMatchObject({ accepted: 0, duplicates: 5, eventIds: first.data!.ingestEvents.eventIds });

    const stored = await sut.query<EventList<StoredEvent>>(`{ events(first: 10) { edges { node { type name userId anonymousId properties } } } }`, {}, secretKeyCaller(projectId));
    const byType = Object.fromEntries(stored.data!.events.edges.map((edge) => [edge.node.type, edge.node]));
    expect(byType.TRACK).toMatchObject({ name: 'Order Completed', userId: 'u-1', properties: { total: 30 } });
    expect(byType.PAGE).toMatchObject({ name: 'page', anonymousId: 'a-1', properties: { name: 'Pricing' } });
    expect(byType.IDENTIFY.properties).toEqual({ plan: 'pro' });
    expect(byType.ALIAS.properties).toEqual({ previousId: 'a-1' });
    expect(byType.GROUP.properties).toEqual({ groupId: 'acme', traits: { seats: 5 } });
  });

  it('identify records traits for a user', async () => {
    const result = await sut.query<{ identify: Omit<StoredEvent, 'anonymousId'> }>(
      `mutation { identify(input: { userId: "u-9", traits: { name: "Grace" } }) { type name userId properties } }`,
      {},
      publishableKeyCaller(projectId),
    );
    expect(result.data!.identify).toEqual({ type: 'IDENTIFY', name: 'identify', userId: 'u-9', properties: { name: 'Grace' } });
  });

  it('names the offending event and field, and records nothing of the batch', async () => {
    const other = randomUUID();
    const result = await sut.query<Ingested>(
      INGEST,
      { input: { events: [{ type: 'TRACK', name: 'Fine', userId: 'u' }, { type: 'TRACK', userId: 'u' }] } },
      publishableKeyCaller(other),
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.events[1].name' });
    const noIds = await sut.query<Ingested>(INGEST, { input: { events: [{ type: 'IDENTIFY', traits: {} }] } }, publishableKeyCaller(other));
    expect(noIds.errors?.[0]?.extensions).toMatchObject({ field: 'input.events[0].userId' });
    const wrongType = await sut.query<Ingested>(INGEST, { input: { events: [{ type: 'TRACK', name: 'x', userId: 'u', properties: [1] }] } }, publishableKeyCaller(other));
    expect(wrongType.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(wrongType.errors?.[0]?.message).toMatch(/properties/);
    const listed = await sut.query<EventList<{ id: string }>>(`{ events(first: 10) { edges { node { id } } } }`, {}, secretKeyCaller(other));
    expect(listed.data!.events.edges).toEqual([]);
  });
});
