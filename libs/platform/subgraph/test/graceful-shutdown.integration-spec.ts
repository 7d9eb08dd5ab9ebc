import { request, type IncomingMessage } from 'node:http';
import pg from 'pg';
import { signCallerContext } from '@boomerang/platform/auth';
import { secretKeyCaller, startTestSubgraph, TEST_DATABASE_URL, TEST_SIGNING_SECRET, type TestSubgraph } from '@boomerang/platform/testing';
import { shutDownSubgraph } from '@boomerang/platform/subgraph';

const projectId = '6a1f3c0e-2b4d-4c5e-9f70-8a9b0c1d2e3f';

/** A request whose body arrives in two parts: in flight from the first until the second is sent. */
function slowRequest(url: string) {
  const body = JSON.stringify({ query: '{ probeNotes { id title } }' });
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...signCallerContext(secretKeyCaller(projectId), body, TEST_SIGNING_SECRET) };
  let outgoing!: ReturnType<typeof request>;
  const answer = new Promise<{ response: IncomingMessage; text: string }>((resolve, reject) => {
    outgoing = request(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ response, text }));
    });
    outgoing.on('error', reject);
  });
  outgoing.write(body.slice(0, 10));
  return { answer, finish: () => outgoing.end(body.slice(10)) };
}

describe('subgraph graceful shutdown', () => {
  let sut: TestSubgraph;
  let readyUrl: string;

  beforeAll(async () => {
    process.env.SHUTDOWN_READINESS_DELAY_MS = '400';
    sut = await startTestSubgraph(() => import('./probe/probe.module.js').then((m) => m.ProbeModule), { service: 'probe' });
    readyUrl = sut.url.replace(/\/graphql$/, '/health/ready');
  });
  afterAll(async () => {
    delete process.env.SHUTDOWN_READINESS_DELAY_MS;
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${sut.schema}" CASCADE`);
    await client.end();
  });

  it('turns readiness false first, finishes the requests it accepted, then refuses connections and stops', async () => {
    expect((await fetch(readyUrl)).status).toBe(200);
    const beforeDrain = slowRequest(sut.url);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const stopped = shutDownSubgraph(sut.app, 'test');
    const draining = await fetch(readyUrl);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'draining' });
    // Still served while load balancers notice, but told not to reuse the connection.
    const duringDelay = await sut.query('{ probeNotes { id } }', {}, secretKeyCaller(projectId));
    expect(duringDelay).toEqual({ data: { probeNotes: [] } });
    const closing = slowRequest(sut.url);
    closing.finish();
    expect((await closing.answer).response.headers.connection).toBe('close');

    await new Promise((resolve) => setTimeout(resolve, 500)); // past the readiness delay: the listener is closed
    await expect(fetch(readyUrl)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });

    beforeDrain.finish();
    const { response, text } = await beforeDrain.answer;
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(text)).toEqual({ data: { probeNotes: [] } });
    await stopped;
  });
});
