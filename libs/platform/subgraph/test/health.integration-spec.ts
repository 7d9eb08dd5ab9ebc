import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

describe('subgraph health endpoints', () => {
  let sut: TestSubgraph;
  const instance = 'launcher-given-instance-id';
  let readyUrl: string;

  beforeAll(async () => {
    process.env.BOOMERANG_INSTANCE_ID = instance;
    sut = await startTestSubgraph(() => import('./probe/probe.module.js').then((m) => m.ProbeModule), { service: 'probe' });
    readyUrl = sut.url.replace(/\/graphql$/, '/health/ready');
  });
  afterAll(async () => {
    delete process.env.BOOMERANG_INSTANCE_ID;
    await sut?.close();
  });

  const ready = async (headers: Record<string, string> = {}) => {
    const response = await fetch(readyUrl, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers ready without naming the process', async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ready', checks: { database: true, nats: true } });
    expect(JSON.stringify(body)).not.toContain(String(process.pid));
  });

  it('echoes the instance id only to a request that presents it', async () => {
    expect((await ready({ 'x-boomerang-instance': instance })).body).toMatchObject({ status: 'ready', instance });
    expect((await ready({ 'x-boomerang-instance': 'someone-else' })).body).not.toHaveProperty('instance');
  });
});
