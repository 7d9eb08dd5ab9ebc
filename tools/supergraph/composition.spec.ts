import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiSchemaOf, composeSupergraph, diffApiSchemas, type SubgraphSdl } from './composition.js';
import { mapWithLimit } from './sdl.js';
import { discoverSubgraphs } from './subgraphs.js';

const federation = '@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])';

const projects = (fields = 'id: ID!\n  name: String!'): SubgraphSdl => ({
  name: 'workspace',
  url: 'http://127.0.0.1:4101/graphql',
  sdl: `extend schema ${federation}
type Project @key(fields: "id") {
  ${fields}
}
type Query { project: Project! }`,
});

const profiles: SubgraphSdl = {
  name: 'profiles',
  url: 'http://127.0.0.1:4102/graphql',
  sdl: `extend schema ${federation}
type Profile @key(fields: "id") { id: ID! email: String }
type Project @key(fields: "id") { id: ID! profileCount: Int! }
type Query { profiles: [Profile!]! }`,
};

const compose = (...subgraphs: SubgraphSdl[]) => {
  const outcome = composeSupergraph(subgraphs);
  if (!outcome.ok) throw new Error(outcome.errors.map((error) => `[${error.code}] ${error.message}`).join('\n'));
  return outcome.supergraphSdl;
};

describe('composeSupergraph', () => {
  it('composes two subgraphs into one API, recording each name and routing URL', () => {
    const sut = compose(projects(), profiles);
    expect(sut).toContain('@join__graph(name: "workspace", url: "http://127.0.0.1:4101/graphql")');
    expect(sut).toContain('@join__graph(name: "profiles", url: "http://127.0.0.1:4102/graphql")');
    const project = apiSchemaOf(sut).getTypeMap().Project as { getFields(): Record<string, unknown> };
    expect(Object.keys(project.getFields()).sort()).toEqual(['id', 'name', 'profileCount']);
  });

  it('reports composition errors with their codes', () => {
    const clash: SubgraphSdl = {
      name: 'events',
      url: 'http://127.0.0.1:4103/graphql',
      sdl: `extend schema ${federation}
type Project @key(fields: "id") { id: ID! name: Int! }
type Query { events: Int }`,
    };
    const sut = composeSupergraph([projects(), clash]);
    expect(sut.ok).toBe(false);
    const codes = sut.ok ? [] : sut.errors.map((error) => error.code);
    expect(codes).toContain('INVALID_FIELD_SHARING');
  });

  it('reports SDL that does not parse, naming the subgraph', () => {
    const sut = composeSupergraph([projects(), { ...profiles, sdl: 'type Query {' }]);
    expect(sut).toMatchObject({ ok: false, errors: [{ code: 'INVALID_GRAPHQL', message: expect.stringContaining('[profiles]') }] });
  });
});

describe('diffApiSchemas', () => {
  const before = compose(projects(), profiles);

  it('reports a removed field as breaking', () => {
    const after = compose(projects('id: ID!'), profiles);
    const sut = diffApiSchemas(before, after);
    expect(sut.breaking).toEqual([{ type: 'FIELD_REMOVED', description: 'Project.name was removed.' }]);
  });

  it('does not report an added field', () => {
    const after = compose(projects('id: ID!\n  name: String!\n  timeZone: String!'), profiles);
    expect(diffApiSchemas(before, after)).toEqual({ breaking: [], dangerous: [] });
  });

  it('ignores federation machinery: the same API from reordered subgraphs has no changes', () => {
    expect(diffApiSchemas(before, compose(profiles, projects())).breaking).toEqual([]);
  });
});

describe('discoverSubgraphs', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'supergraph-'));
    const app = (name: string, appModule?: string) => {
      mkdirSync(join(root, 'apps', name, 'src'), { recursive: true });
      writeFileSync(join(root, 'apps', name, 'src', 'main.ts'), '');
      if (appModule) writeFileSync(join(root, 'apps', name, 'src', 'app.module.ts'), appModule);
    };
    app('workspace');
    app('gateway');
    app('gateway-e2e');
    app('loyalty', 'SubgraphModule.forRoot({ service: "loyalty", defaultPort: 4109 })');
    mkdirSync(join(root, 'apps', 'profiles'), { recursive: true }); // still being written: no main.ts
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists apps with a main.ts except the gateway and e2e suites, with their default URLs', () => {
    expect(discoverSubgraphs(root).map(({ name, url }) => ({ name, url }))).toEqual([
      { name: 'loyalty', url: 'http://127.0.0.1:4109/graphql' },
      { name: 'workspace', url: 'http://127.0.0.1:4101/graphql' },
    ]);
  });
});

describe('mapWithLimit', () => {
  it('runs at most `limit` tasks at once and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const sut = await mapWithLimit([30, 10, 20, 5], 2, async (ms) => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      if (ms === 5) throw new Error('five');
      return ms;
    });
    expect(peak).toBe(2);
    expect(sut.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message))).toEqual([30, 10, 20, 'five']);
  });
});
