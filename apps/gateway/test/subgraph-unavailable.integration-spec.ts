import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse, type GraphQLSchema } from 'graphql';
import { silentLogger, TEST_NATS_URL, uniqueSubjectPrefix } from '@boomerang/platform/testing';
import { loadGatewayConfig } from '../src/gateway-config.js';
import { startGateway, type RunningGateway } from '../src/gateway.server.js';

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

/** profiles owns Profile; segments contributes Profile.segments (nullable, as the README's rule asks). */
const PROFILES_SDL = `${LINK}
  type Query { profiles: [Profile!]! leak: String }
  type Profile @key(fields: "id") { id: ID! name: String! }`;
const SEGMENTS_SDL = `${LINK}
  type Profile @key(fields: "id") { id: ID! segments: [Segment!] }
  type Segment { name: String! }`;

const profilesSchema = buildSubgraphSchema({
  typeDefs: parse(PROFILES_SDL),
  resolvers: {
    Query: {
      profiles: () => [{ id: 'p1', name: 'Ada' }, { id: 'p2', name: 'Grace' }],
      // A resolver error that quotes an internal address, as a careless one might.
      leak: () => {
        throw new Error(`upstream ${process.env.LEAKED_ADDRESS} refused`);
      },
    },
  },
});
const segmentsSchema = buildSubgraphSchema({
  typeDefs: parse(SEGMENTS_SDL),
  resolvers: { Profile: { __resolveReference: (profile: { id: string }) => ({ id: profile.id, segments: [{ name: `buyers of ${profile.id}` }] }) } },
});

type Mode = 'answer' | 'hang';

/** A subgraph over plain HTTP (it trusts the gateway's signature without checking it). */
function serve(schema: GraphQLSchema) {
  const state = { mode: 'answer' as Mode, hanging: [] as ServerResponse[] };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      if (state.mode === 'hang') return void state.hanging.push(response);
      const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown> };
      const result = await graphql({ schema, source: query, variableValues: variables });
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(result));
    });
  });
  return { server, state };
}

const listen = (server: Server, port = 0) => new Promise<number>((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const close = (server: Server) => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)));

describe('gateway with an unavailable subgraph', () => {
  const adminToken = `admin_${randomBytes(24).toString('hex')}`;
  const directory = mkdtempSync(join(tmpdir(), 'gateway-unavailable-'));
  const profiles = serve(profilesSchema);
  let segments = serve(segmentsSchema);
  let segmentsPort: number;
  let sut: RunningGateway;

  beforeAll(async () => {
    const profilesPort = await listen(profiles.server);
    segmentsPort = await listen(segments.server);
    process.env.LEAKED_ADDRESS = `127.0.0.1:${segmentsPort}`;
    const composed = composeServices([
      { name: 'profiles', url: `http://127.0.0.1:${profilesPort}/graphql`, typeDefs: parse(PROFILES_SDL) },
      { name: 'segments', url: `http://127.0.0.1:${segmentsPort}/graphql`, typeDefs: parse(SEGMENTS_SDL) },
    ]);
    if (composed.errors) throw composed.errors[0];
    writeFileSync(join(directory, 'supergraph.graphql'), composed.supergraphSdl);
    sut = await startGateway(
      loadGatewayConfig({
        NATS_URL: TEST_NATS_URL,
        NATS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
        INTERNAL_SIGNING_SECRET: randomBytes(32).toString('hex'),
        BOOMERANG_ADMIN_TOKEN: adminToken,
        GATEWAY_PORT: '0',
        SUPERGRAPH_PATH: join(directory, 'supergraph.graphql'),
        SUBGRAPH_SEGMENTS_TIMEOUT_MS: '400',
        SUBGRAPH_BREAKER_FAILURES: '3',
        SUBGRAPH_BREAKER_OPEN_MS: '600',
      }),
      silentLogger,
    );
  });
  afterAll(async () => {
    delete process.env.LEAKED_ADDRESS;
    await sut?.close();
    segments.state.hanging.splice(0).forEach((response) => response.destroy());
    await Promise.all([close(profiles.server), close(segments.server)]);
    rmSync(directory, { recursive: true, force: true });
  });

  const ask = async (query: string) => {
    const started = Date.now();
    const response = await fetch(sut.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query }),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as GraphQLBody, text, ms: Date.now() - started };
  };
  const PROFILES_WITH_SEGMENTS = '{ profiles { id name segments { name } } }';

  it('answers in full while every subgraph answers', async () => {
    const { body } = await ask(PROFILES_WITH_SEGMENTS);
    expect(body).toEqual({
      data: {
        profiles: [
          { id: 'p1', name: 'Ada', segments: [{ name: 'buyers of p1' }] },
          { id: 'p2', name: 'Grace', segments: [{ name: 'buyers of p2' }] },
        ],
      },
    });
  });

  it('keeps the profiles when segments is down: the field is null with an error naming it and the service, and no address', async () => {
    await close(segments.server);
    const { status, body, text } = await ask(PROFILES_WITH_SEGMENTS);
    expect(status).toBe(200);
    expect(body.data).toEqual({ profiles: [{ id: 'p1', name: 'Ada', segments: null }, { id: 'p2', name: 'Grace', segments: null }] });
    expect(body.errors).toEqual(
      [0, 1].map((index) => ({
        message: 'Profile.segments is unavailable: the segments service is not accepting connections',
        path: ['profiles', index, 'segments'],
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'segments', reason: 'CONNECTION_REFUSED' },
      })),
    );
    expect(text).not.toContain(String(segmentsPort));
    expect(text).not.toMatch(/127\.0\.0\.1|localhost|http:/);
  });

  it('fails fast once the circuit is open, and answers in full again once segments is back', async () => {
    for (let i = 0; i < 3; i++) await ask(PROFILES_WITH_SEGMENTS);
    const open = await ask(PROFILES_WITH_SEGMENTS);
    expect(open.body.errors?.[0]?.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', service: 'segments', reason: 'CIRCUIT_OPEN' });
    segments = serve(segmentsSchema);
    await listen(segments.server, segmentsPort);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const back = await ask(PROFILES_WITH_SEGMENTS);
    expect(back.body.errors).toBeUndefined();
    expect(back.body.data?.profiles).toHaveLength(2);
  });

  it('answers within the timeout with the profiles when segments hangs', async () => {
    segments.state.mode = 'hang';
    const { body, ms } = await ask(PROFILES_WITH_SEGMENTS);
    expect(ms).toBeLessThan(2000);
    expect(body.data).toEqual({ profiles: [{ id: 'p1', name: 'Ada', segments: null }, { id: 'p2', name: 'Grace', segments: null }] });
    expect(body.errors?.[0]).toEqual({
      message: 'Profile.segments is unavailable: the segments service did not answer within 400 ms',
      path: ['profiles', 0, 'segments'],
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'segments', reason: 'TIMEOUT' },
    });
  });

  it("answers an error that quotes a subgraph's address as a bare internal error", async () => {
    const { body, text } = await ask('{ leak }');
    expect(body.errors).toEqual([{ message: 'Internal server error', path: ['leak'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(text).not.toContain(String(segmentsPort));
  });
});
