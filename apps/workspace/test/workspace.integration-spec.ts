import { randomUUID } from 'node:crypto';
import { ResolveApiKey } from '@boomerang/contracts';
import { callRpc } from '@boomerang/platform/messaging';
import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const admin = { projectId: null, keyId: null, scope: 'admin' as const };

describe('workspace subgraph', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'workspace' });
  });
  afterAll(() => sut?.close());

  const createProject = async (name: string) => {
    const result = await sut.query<{ createProject: { project: { id: string }; publishableKey: { key: string }; secretKey: { key: string; apiKey: { id: string } } } }>(
      `mutation($input: CreateProjectInput!) { createProject(input: $input) {
         project { id name timeZone } publishableKey { key apiKey { kind } } secretKey { key apiKey { id kind hint } } } }`,
      { input: { name } },
      admin,
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createProject;
  };

  it('refuses requests that the gateway did not sign', async () => {
    const result = await sut.query(`{ project { id } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('creates a project with keys that resolve over NATS, and honours revocation', async () => {
    const created = await createProject('Acme');
    expect(created.publishableKey.key).toMatch(/^pk_/);
    expect(created.secretKey.key).toMatch(/^sk_/);
    const resolved = await callRpc(sut.messaging.nc, sut.messaging.subjects, ResolveApiKey, { key: created.secretKey.key });
    expect(resolved).toEqual({ ok: true, projectId: created.project.id, keyId: created.secretKey.apiKey.id, scope: 'secret' });

    const caller = { projectId: created.project.id, keyId: created.secretKey.apiKey.id, scope: 'secret' as const };
    const revoked = await sut.query(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: created.secretKey.apiKey.id }, caller);
    expect(revoked.errors).toBeUndefined();
    expect(await callRpc(sut.messaging.nc, sut.messaging.subjects, ResolveApiKey, { key: created.secretKey.key })).toEqual({
      ok: false,
      reason: 'revoked',
    });
  });

  it('rotates a key: the new one works, the old one is revoked', async () => {
    const created = await createProject('Rotor');
    const caller = { projectId: created.project.id, keyId: null, scope: 'secret' as const };
    const rotated = await sut.query<{ rotateApiKey: { key: string } }>(
      `mutation($id: ID!) { rotateApiKey(id: $id) { key apiKey { kind } } }`,
      { id: created.secretKey.apiKey.id },
      caller,
    );
    const fresh = rotated.data!.rotateApiKey.key;
    expect((await callRpc(sut.messaging.nc, sut.messaging.subjects, ResolveApiKey, { key: fresh })).ok).toBe(true);
    expect((await callRpc(sut.messaging.nc, sut.messaging.subjects, ResolveApiKey, { key: created.secretKey.key })).ok).toBe(false);
  });

  it('scopes reads by project and refuses publishable keys and non-admins where required', async () => {
    const a = await createProject('A');
    const b = await createProject('B');
    const asB = { projectId: b.project.id, keyId: null, scope: 'secret' as const };
    const keys = await sut.query<{ apiKeys: { id: string }[] }>(`{ apiKeys { id } }`, {}, asB);
    expect(keys.data!.apiKeys.map((key) => key.id)).not.toContain(a.secretKey.apiKey.id);
    const revokeOther = await sut.query(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: a.secretKey.apiKey.id }, asB);
    expect(revokeOther.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const publishable = { projectId: a.project.id, keyId: null, scope: 'publishable' as const };
    const denied = await sut.query(`{ apiKeys { id } }`, {}, publishable);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const notAdmin = await sut.query(`mutation { createProject(input: { name: "x" }) { project { id } } }`, {}, asB);
    expect(notAdmin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('names the field and rule for invalid input and writes nothing', async () => {
    const result = await sut.query(
      `mutation { createProject(input: { name: "Bad", timeZone: "Mars/Olympus" }) { project { id } } }`,
      {},
      admin,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.timeZone' });
    expect(result.errors?.[0]?.message).toMatch(/timeZone/);
  });

  it('announces created projects through the outbox', async () => {
    const created = await createProject(`Announced ${randomUUID()}`);
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('workspace');
    const stored = await sut.messaging.jsm.streams.getMessage(stream, {
      last_by_subj: `${sut.prefix}workspace.${created.project.id}.project.created`,
    });
    expect(stored!.json<{ projectId: string }>().projectId).toBe(created.project.id);
  });
});
