import { randomBytes } from 'node:crypto';
import { silentLogger, TEST_NATS_URL, uniqueSubjectPrefix } from '@boomerang/platform/testing';
import { loadGatewayConfig } from '../src/gateway-config.js';
import { startGateway, type RunningGateway } from '../src/gateway.server.js';

interface GraphQLBody {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * The gateway's own answers to bad requests: everything here is decided before any subgraph is
 * asked, so the subgraph URLs point at a port where nothing listens.
 */
describe('gateway HTTP endpoint', () => {
  let sut: RunningGateway;
  const adminToken = `admin_${randomBytes(24).toString('hex')}`;
  const instanceId = randomBytes(16).toString('hex');

  beforeAll(async () => {
    // The discard port: nothing listens there.
    const nowhere = 'http://127.0.0.1:9/graphql';
    const subgraphs = ['workspace', 'profiles', 'events', 'segments', 'campaigns', 'journeys', 'email', 'voice'];
    const config = loadGatewayConfig({
      NATS_URL: TEST_NATS_URL,
      NATS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
      INTERNAL_SIGNING_SECRET: randomBytes(32).toString('hex'),
      BOOMERANG_ADMIN_TOKEN: adminToken,
      BOOMERANG_INSTANCE_ID: instanceId,
      GATEWAY_PORT: '0',
      ...Object.fromEntries(subgraphs.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, nowhere])),
    });
    sut = await startGateway(config, silentLogger);
  });
  afterAll(() => sut?.close());

  const post = async (body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(sut.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), text };
  };
  const asAdmin = { authorization: `Bearer ${adminToken}` };
  const json = (text: string) => JSON.parse(text) as GraphQLBody;

  it.each([['{"query":'], ['hello'], ['{"query": "{ project { id } }",}']])('answers a body that is not JSON (%s) with a JSON 400 and no internals', async (body) => {
    const { status, contentType, text } = await post(body);
    expect(status).toBe(400);
    expect(contentType).toMatch(/^application\/json/);
    expect(json(text).errors).toEqual([{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }]);
    expect(text).not.toMatch(/\/work\/|node_modules|\bat /);
  });

  it('answers a body over the size limit with a JSON 413', async () => {
    const { status, text } = await post(JSON.stringify({ query: `{ project { id } }`, variables: { pad: 'x'.repeat(1_100_000) } }));
    expect(status).toBe(413);
    expect(json(text).errors?.[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  it('refuses a body nested deeper than the gateway reads, naming the limit', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const { status, text } = await post(`{"query":"query($d: JSON) { __typename }","variables":{"d":${deep}}}`, asAdmin);
    expect(status).toBe(400);
    expect(json(text).errors?.[0]).toMatchObject({ message: expect.stringMatching(/nested deeper than 128 levels/), extensions: { code: 'BAD_REQUEST' } });
  });

  it('refuses an operationName that names no operation with a 400 naming operationName', async () => {
    const unknown = await post(JSON.stringify({ query: `query A { __typename }`, operationName: 'B' }), asAdmin);
    expect(unknown.status).toBe(400);
    expect(json(unknown.text).errors?.[0]).toMatchObject({
      message: 'Invalid value for operationName: the document has no operation named "B"',
      extensions: { code: 'BAD_USER_INPUT', field: 'operationName' },
    });
    const anonymous = await post(JSON.stringify({ query: `{ __typename }`, operationName: 'B' }), asAdmin);
    expect(anonymous.status).toBe(400);
    const several = await post(JSON.stringify({ query: `query A { __typename } query B { __typename }` }), asAdmin);
    expect(several.status).toBe(400);
    expect(json(several.text).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'operationName' });
  });

  it('refuses variables that do not fit their declared types with a 400 naming the variable', async () => {
    const missing = await post(JSON.stringify({ query: `query($id: ID!) { profile(id: $id) { id } }` }), asAdmin);
    expect(missing.status).toBe(400);
    expect(json(missing.text).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'variables.id' });
    const huge = await post(JSON.stringify({ query: `query($n: Int!) { profiles(first: $n) { edges { node { id } } } }`, variables: { n: 1e30 } }), asAdmin);
    expect(huge.status).toBe(400);
    expect(json(huge.text).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'variables.n' });
  });

  it('answers a bearer token longer than any key with 401, not 503', async () => {
    const { status, text } = await post(JSON.stringify({ query: `{ project { id } }` }), { authorization: `Bearer sk_${'a'.repeat(300)}` });
    expect(status).toBe(401);
    expect(json(text).errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'KEY_MALFORMED' });
  });

  it('prices every alias: a thousand aliases of an expensive field are refused before any subgraph is asked', async () => {
    const aliases = Array.from({ length: 1000 }, (_, index) => `a${index}: profileExport(id: "0e9f1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b") { profileId }`);
    const { status, text } = await post(JSON.stringify({ query: `{ ${aliases.join(' ')} }` }), asAdmin);
    expect(status).toBe(400);
    expect(json(text).errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Query complexity \d+ exceeds the limit of 5000/), extensions: { code: 'QUERY_TOO_COMPLEX' } });
  });

  it('answers readiness without naming the process, and echoes the instance id only to whoever presents it', async () => {
    const readyUrl = sut.url.replace(/\/graphql$/, '/health/ready');
    const ready = await fetch(readyUrl);
    const body = (await ready.json()) as Record<string, unknown>;
    expect(ready.status).toBe(200);
    expect(body).toEqual({ status: 'ready', checks: { nats: true, supergraph: true } });
    const own = (await (await fetch(readyUrl, { headers: { 'x-boomerang-instance': instanceId } })).json()) as Record<string, unknown>;
    expect(own.instance).toBe(instanceId);
    const other = (await (await fetch(readyUrl, { headers: { 'x-boomerang-instance': 'not-it' } })).json()) as Record<string, unknown>;
    expect(other).not.toHaveProperty('instance');
  });
});
