import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitBreaker } from './circuit-breaker.js';
import { SubgraphDataSource } from './subgraph-data-source.js';

const secret = 's'.repeat(40);
const caller = { projectId: '0e9f1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', keyId: null, scope: 'secret' as const };

/** A URL where nothing listens: a port the OS handed out and took back. */
async function nowhere(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/graphql`;
}

type Behaviour = 'answer' | 'hang' | 'drop' | 'unavailable';

/** A subgraph stand-in that treats each request as the next behaviour in line says (then answers). */
function standIn() {
  const behaviours: Behaviour[] = [];
  const hanging: ServerResponse[] = [];
  let requests = 0;
  const server = createServer((request, response) => {
    request.resume().on('end', () => {
      requests += 1;
      const behaviour = behaviours.shift() ?? 'answer';
      if (behaviour === 'hang') return void hanging.push(response);
      if (behaviour === 'drop') return void request.socket.destroy();
      response.statusCode = behaviour === 'unavailable' ? 503 : 200;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(behaviour === 'unavailable' ? { message: 'unavailable' } : { data: { _entities: [{ segments: [] }] } }));
    });
  });
  return {
    server,
    behaviours,
    requests: () => requests,
    release: () => hanging.splice(0).forEach((response) => response.destroy()),
  };
}

const ENTITY_FETCH = `query Q__segments__1($representations: [_Any!]!) { _entities(representations: $representations) { ... on Profile { segments { name } } } }`;
const ENTITY_MUTATION = `mutation M__segments__0 { createSegment(input: { name: "x" }) { id } }`;

const incoming = (query: string, variables: Record<string, unknown> = { representations: [{ __typename: 'Profile', id: 'a' }, { __typename: 'Profile', id: 'b' }] }) =>
  ({
    kind: 'incoming operation',
    request: { query, variables },
    incomingRequestContext: { context: { caller } },
    context: { caller },
    pathInIncomingRequest: ['profiles', 'edges', '@', 'node'],
  }) as unknown as Parameters<SubgraphDataSource['process']>[0];

describe('SubgraphDataSource', () => {
  let subgraph: ReturnType<typeof standIn>;
  let url: string;
  beforeAll(async () => {
    subgraph = standIn();
    await new Promise<void>((resolve) => subgraph.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(subgraph.server.address() as AddressInfo).port}/graphql`;
  });
  afterEach(() => {
    subgraph.behaviours.splice(0);
    subgraph.release();
  });
  afterAll(() => new Promise((resolve) => (subgraph.server as Server).close(resolve)));

  const breaker = (failureThreshold = 5) => new CircuitBreaker({ failureThreshold, openMs: 60_000 });

  it('answers a fetch whose connection is refused with an error on each field of each entity, naming the service and no address', async () => {
    const sut = new SubgraphDataSource('segments', await nowhere(), secret, 2000, breaker());
    const answer = await sut.process(incoming(ENTITY_FETCH));
    expect(answer.data).toBeUndefined();
    expect(answer.errors).toEqual(
      [0, 1].map((index) => ({
        message: 'Profile.segments is unavailable: the segments service is not accepting connections',
        path: ['_entities', index, 'segments'],
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'segments', reason: 'CONNECTION_REFUSED' },
      })),
    );
    expect(JSON.stringify(answer)).not.toMatch(/127\.0\.0\.1|:\d{4,5}|http/);
  });

  it('gives up on a subgraph that does not answer once its timeout is over', async () => {
    subgraph.behaviours.push('hang');
    const sut = new SubgraphDataSource('segments', url, secret, 300, breaker());
    const started = Date.now();
    const answer = await sut.process(incoming(ENTITY_FETCH));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(answer.errors?.[0]).toMatchObject({
      message: 'Profile.segments is unavailable: the segments service did not answer within 300 ms',
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'segments', reason: 'TIMEOUT' },
    });
  });

  it('stops asking a subgraph once its circuit opens, without sending the request', async () => {
    subgraph.behaviours.push('unavailable', 'unavailable');
    const sut = new SubgraphDataSource('segments', url, secret, 2000, breaker(2));
    for (const reason of ['ANSWERED_UNAVAILABLE', 'ANSWERED_UNAVAILABLE', 'CIRCUIT_OPEN']) {
      const answer = await sut.process(incoming(ENTITY_FETCH));
      expect(answer.errors?.[0]?.extensions).toMatchObject({ reason });
    }
    expect(subgraph.requests()).toBeGreaterThanOrEqual(2);
    const sent = subgraph.requests();
    await sut.process(incoming(ENTITY_FETCH));
    expect(subgraph.requests()).toBe(sent);
  });

  it('sends a query once more when its connection is lost before the answer', async () => {
    subgraph.behaviours.push('drop');
    const sut = new SubgraphDataSource('segments', url, secret, 2000, breaker());
    const answer = await sut.process(incoming(ENTITY_FETCH));
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ _entities: [{ segments: [] }] });
  });

  it('never sends a mutation twice', async () => {
    subgraph.behaviours.push('drop');
    const sut = new SubgraphDataSource('segments', url, secret, 2000, breaker());
    const before = subgraph.requests();
    const answer = await sut.process(incoming(ENTITY_MUTATION, {}));
    expect(answer.errors).toEqual([
      {
        message: 'Mutation.createSegment is unavailable: the segments service closed the connection before answering',
        path: ['createSegment'],
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'segments', reason: 'CONNECTION_LOST' },
      },
    ]);
    expect(subgraph.requests() - before).toBe(1);
  });

  it('throws for requests the gateway makes on its own (health checks, schema loading)', async () => {
    const sut = new SubgraphDataSource('segments', await nowhere(), secret, 2000, breaker());
    const healthCheck = { kind: 'health check', request: { query: '{ __typename }' }, context: {} } as Parameters<SubgraphDataSource['process']>[0];
    await expect(sut.process(healthCheck)).rejects.toMatchObject({ name: 'SubgraphUnavailableError', reason: 'CONNECTION_REFUSED' });
  });
});
