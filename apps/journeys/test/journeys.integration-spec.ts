import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { CallerContext } from '@boomerang/platform/auth';
import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const secretOf = (projectId: string): CallerContext => ({ projectId, keyId: null, scope: 'secret' as const });
const publishableOf = (projectId: string): CallerContext => ({ projectId, keyId: null, scope: 'publishable' as const });

const GRAPH = {
  nodes: [
    { id: 'start', type: 'entry', config: { event: 'signed_up' } },
    { id: 'day', type: 'wait', config: { hours: 24 } },
    { id: 'split', type: 'experiment', config: { arms: ['a', 'b'] } },
    { id: 'welcome', type: 'send', config: { templateId: 'abc' } },
    { id: 'done', type: 'exit' },
  ],
  edges: [
    { from: 'start', to: 'day' },
    { from: 'day', to: 'split' },
    { from: 'split', to: 'welcome' },
    { from: 'split', to: 'done' },
    { from: 'welcome', to: 'done' },
  ],
};

const JOURNEY_FIELDS = `id name status version graph { nodes { id type config } edges { from to } } createdAt updatedAt`;

interface JourneyView {
  id: string;
  name: string;
  status: string;
  version: number;
  graph: { nodes: { id: string; type: string; config: unknown }[]; edges: { from: string; to: string }[] };
}

describe('journeys subgraph', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'journeys' });
  });
  afterAll(() => sut?.close());

  const create = (projectId: string, input: Record<string, unknown>, caller = secretOf(projectId)) =>
    sut.query<{ createJourney: JourneyView }>(
      `mutation($input: CreateJourneyInput!) { createJourney(input: $input) { ${JOURNEY_FIELDS} } }`,
      { input },
      caller,
    );
  const createJourney = async (projectId: string, name: string, graph = GRAPH) => {
    const result = await create(projectId, { name, graph });
    expect(result.errors).toBeUndefined();
    return result.data!.createJourney;
  };

  it('refuses requests that the gateway did not sign', async () => {
    const result = await sut.query(`{ journeys { id } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('creates a DRAFT version-1 journey whose graph reads back intact', async () => {
    const projectId = randomUUID();
    const created = await createJourney(projectId, 'Onboarding');
    expect(created).toMatchObject({ name: 'Onboarding', status: 'DRAFT', version: 1 });
    expect(created.graph.edges).toEqual(GRAPH.edges);
    expect(created.graph.nodes).toEqual(GRAPH.nodes.map((node) => ({ config: {}, ...node })));

    const read = await sut.query<{ journey: JourneyView }>(`query($id: ID!) { journey(id: $id) { ${JOURNEY_FIELDS} } }`, { id: created.id }, secretOf(projectId));
    expect(read.errors).toBeUndefined();
    expect(read.data!.journey).toEqual(created);
  });

  it('keeps projects apart, by id and in lists', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const ofA = await createJourney(a, 'A journey');
    await createJourney(b, 'B journey');
    const byId = await sut.query(`query($id: ID!) { journey(id: $id) { id } }`, { id: ofA.id }, secretOf(b));
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await sut.query<{ journeys: { name: string }[] }>(`{ journeys { name } }`, {}, secretOf(b));
    expect(list.data!.journeys.map((journey) => journey.name)).toEqual(['B journey']);
  });

  it('names the offending field of an invalid graph or name and writes nothing', async () => {
    const projectId = randomUUID();
    const withNodes = (nodes: unknown[]) => ({ nodes, edges: [] });
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', graph: GRAPH }, 'input.name'],
      [{ name: 'x'.repeat(201), graph: GRAPH }, 'input.name'],
      [{ name: 'dup', graph: { ...GRAPH, nodes: [...GRAPH.nodes, { id: 'day', type: 'wait' }] } }, 'input.graph.nodes[5].id'],
      [{ name: 'type', graph: withNodes([{ id: 'a', type: 'entry' }, { id: 'b', type: 'sms' }]) }, 'input.graph.nodes[1].type'],
      [{ name: 'no entry', graph: withNodes([{ id: 'a', type: 'exit' }]) }, 'input.graph.nodes'],
      [{ name: 'two entries', graph: withNodes([{ id: 'a', type: 'entry' }, { id: 'b', type: 'entry' }]) }, 'input.graph.nodes[1].type'],
      [{ name: 'edge', graph: { ...GRAPH, edges: [GRAPH.edges[0], GRAPH.edges[1], { from: 'split', to: 'nowhere' }] } }, 'input.graph.edges[2].to'],
      [{ name: 'config', graph: withNodes([{ id: 'a', type: 'entry', config: 'soon' }]) }, 'input.graph.nodes[0].config'],
    ];
    for (const [input, field] of cases) {
      const result = await create(projectId, input);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors?.[0]?.message).toContain(field);
    }
    const list = await sut.query<{ journeys: unknown[] }>(`{ journeys { id } }`, {}, secretOf(projectId));
    expect(list.data!.journeys).toEqual([]);
  });

  it('refuses publishable keys', async () => {
    const projectId = randomUUID();
    const created = await create(projectId, { name: 'pk', graph: GRAPH }, publishableOf(projectId));
    expect(created.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    const list = await sut.query<{ journeys: unknown[] }>(`{ journeys { id } }`, {}, secretOf(projectId));
    expect(list.data!.journeys).toEqual([]);
    const read = await sut.query(`{ journeys { id } }`, {}, publishableOf(projectId));
    expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('resolves entity references in one batch, scoped to the caller project', async () => {
    const a = randomUUID();
    const first = await createJourney(a, 'Ref one');
    const second = await createJourney(a, 'Ref two');
    const foreign = await createJourney(randomUUID(), 'Elsewhere');
    const { JourneyService } = await import('../src/journeys/journey.service.js');
    const findMany = jest.spyOn(sut.app.get(JourneyService), 'findMany');
    try {
      const result = await sut.query<{ _entities: ({ id: string; name: string; version: number } | null)[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Journey { id name version } } }`,
        { representations: [first, second, foreign].map(({ id }) => ({ __typename: 'Journey', id })) },
        secretOf(a),
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([{ id: first.id, name: 'Ref one', version: 1 }, { id: second.id, name: 'Ref two', version: 1 }, null]);
      expect(findMany).toHaveBeenCalledTimes(1);
    } finally {
      findMany.mockRestore();
    }
  });

  it('announces created journeys through the outbox', async () => {
    const projectId = randomUUID();
    const created = await createJourney(projectId, 'Announced');
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('journeys');
    const stored = await sut.messaging.jsm.streams.getMessage(stream, { last_by_subj: `${sut.prefix}journeys.${projectId}.created` });
    expect(stored!.json()).toMatchObject({ projectId, journeyId: created.id, name: 'Announced' });
  });
});
