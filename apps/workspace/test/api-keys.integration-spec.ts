import { randomUUID } from 'node:crypto';
import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const admin = { projectId: null, keyId: null, scope: 'admin' as const };

describe('API key ids', () => {
  let sut: TestSubgraph;
  let caller: { projectId: string; keyId: null; scope: 'secret' };

  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'workspace' });
    const created = await sut.query<{ createProject: { project: { id: string } } }>(
      `mutation { createProject(input: { name: "Keys" }) { project { id } } }`,
      {},
      admin,
    );
    caller = { projectId: created.data!.createProject.project.id, keyId: null, scope: 'secret' };
  });
  afterAll(() => sut?.close());

  const activeKeys = async () => {
    const keys = await sut.query<{ apiKeys: { revokedAt: string | null }[] }>(`{ apiKeys { revokedAt } }`, {}, caller);
    return keys.data!.apiKeys.filter((key) => key.revokedAt === null).length;
  };

  it.each(['revokeApiKey', 'rotateApiKey'])('%s refuses a malformed id as BAD_USER_INPUT naming id, and changes nothing', async (mutation) => {
    const before = await activeKeys();
    for (const id of ['nope', '', `${randomUUID()}x`, "'; DROP TABLE api_key; --"]) {
      const result = await sut.query(`mutation($id: ID!) { ${mutation}(id: $id) { __typename } }`, { id }, caller);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'MALFORMED_ID', field: 'id' });
      expect(result.errors?.[0]?.message).toMatch(/^Invalid value for id: must be a UUID/);
    }
    expect(await activeKeys()).toBe(before);
  });

  it.each(['revokeApiKey', 'rotateApiKey'])('%s answers an unknown well-formed id with NOT_FOUND', async (mutation) => {
    const result = await sut.query(`mutation($id: ID!) { ${mutation}(id: $id) { __typename } }`, { id: randomUUID() }, caller);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'API_KEY_NOT_FOUND', field: 'id' });
  });
});
