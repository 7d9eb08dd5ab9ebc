import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyCallerContext, type CallerContext } from '@boomerang/platform/auth';
import { SignedDataSource } from './signed-data-source.js';

const secret = 's'.repeat(40);
const caller: CallerContext = { projectId: '0e9f1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', keyId: null, scope: 'secret' };

/** A subgraph stand-in that records what arrived; the first APQ attempt is answered "not found". */
function recordingSubgraph() {
  const received: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ headers: request.headers, body });
      const persistedOnly = !(JSON.parse(body.toString('utf8')) as { query?: string }).query;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(persistedOnly ? { errors: [{ message: 'PersistedQueryNotFound' }] } : { data: { __typename: 'Query' } }));
    });
  });
  return { server, received };
}

describe('SignedDataSource', () => {
  let subgraph: ReturnType<typeof recordingSubgraph>;
  let url: string;
  beforeAll(async () => {
    subgraph = recordingSubgraph();
    await new Promise<void>((resolve) => subgraph.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(subgraph.server.address() as AddressInfo).port}/graphql`;
  });
  beforeEach(() => subgraph.received.splice(0));
  afterAll(() => new Promise((resolve) => (subgraph.server as Server).close(resolve)));

  const send = (sut: SignedDataSource, context: Record<string, unknown>) =>
    sut.process({ kind: 'health check', request: { query: '{ __typename }', variables: { n: 'Café' } }, context } as Parameters<SignedDataSource['process']>[0]);

  it('signs the caller over the exact body each request carried, a fresh signature per request', async () => {
    const sut = new SignedDataSource(url, secret);
    sut.apq = true; // two requests with different bodies for one operation
    expect(await send(sut, { caller })).toMatchObject({ data: { __typename: 'Query' } });
    expect(subgraph.received).toHaveLength(2);
    for (const { headers, body } of subgraph.received) expect(verifyCallerContext(headers, body, secret)).toEqual(caller);
    const [first, second] = subgraph.received;
    expect(() => verifyCallerContext(first!.headers, second!.body, secret)).toThrow(/body is not the one/);
  });

  it('sends requests without a client context as the system caller', async () => {
    await send(new SignedDataSource(url, secret), {});
    const [{ headers, body }] = subgraph.received as [{ headers: IncomingHttpHeaders; body: Buffer }];
    expect(verifyCallerContext(headers, body, secret)).toEqual({ projectId: null, keyId: null, scope: 'system' });
  });
});

describe('SignedDataSource refusals', () => {
  let server: Server;
  let url: string;
  const answers: { status: number; body: unknown }[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume().on('end', () => {
        const { status, body } = answers.shift()!;
        response.statusCode = status;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const refusal = async (status: number, body: unknown) => {
    answers.push({ status, body });
    const sut = new SignedDataSource(url, secret);
    const request = { kind: 'health check', request: { query: '{ __typename }' }, context: { caller } } as Parameters<SignedDataSource['process']>[0];
    return sut.process(request).then(
      () => undefined,
      (error: { message: string; extensions: Record<string, unknown> }) => error,
    );
  };

  it("passes on a subgraph's own GraphQL error without the subgraph's address", async () => {
    const error = await refusal(400, { errors: [{ message: 'Variable "$x" got invalid value', extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(error).toMatchObject({ message: 'Variable "$x" got invalid value', extensions: { code: 'BAD_USER_INPUT' } });
    expect(JSON.stringify(error!.extensions)).not.toContain('127.0.0.1');
  });

  it('reports any other refusal by its status alone', async () => {
    const error = await refusal(413, { statusCode: 413, message: 'request entity too large' });
    expect(error?.message).toBe('413: Payload Too Large');
    expect(error?.extensions).toEqual({});
  });
});
