/**
 * The gateway's signed caller context against a real subgraph: it is good for the body it was
 * signed for, for a short time, and for nothing else (a captured context cannot be replayed).
 */
import { ResolveApiKey } from '@boomerang/contracts';
import { signCallerContext, type CallerContext } from '@boomerang/platform/auth';
import { callRpc } from '@boomerang/platform/messaging';
import { startTestSubgraph, TEST_SIGNING_SECRET, type GraphQLResponse, type TestSubgraph } from '@boomerang/platform/testing';

const admin: CallerContext = { projectId: null, keyId: null, scope: 'admin' };

describe('signed caller context at a subgraph', () => {
  let sut: TestSubgraph;
  let caller: CallerContext;
  let secretKey: { key: string; apiKey: { id: string } };
  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'workspace' });
    const created = await sut.query<{ createProject: { project: { id: string }; secretKey: { key: string; apiKey: { id: string } } } }>(
      `mutation { createProject(input: { name: "Replay" }) { project { id } secretKey { key apiKey { id } } } }`,
      {},
      admin,
    );
    expect(created.errors).toBeUndefined();
    secretKey = created.data!.createProject.secretKey;
    caller = { projectId: created.data!.createProject.project.id, keyId: secretKey.apiKey.id, scope: 'secret' };
  });
  afterAll(() => sut?.close());

  const send = async (headers: Record<string, string>, body: string) => {
    const response = await fetch(sut.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, result: (await response.json()) as GraphQLResponse };
  };
  const read = JSON.stringify({ query: '{ project { id } }' });

  it('answers a request whose context was signed for its body just now', async () => {
    const { status, result } = await send(signCallerContext(caller, read, TEST_SIGNING_SECRET), read);
    expect(status).toBe(200);
    expect(result).toEqual({ data: { project: { id: caller.projectId } } });
  });

  it('refuses a captured context replayed with another body, and writes nothing', async () => {
    const captured = signCallerContext(caller, read, TEST_SIGNING_SECRET);
    const revoke = JSON.stringify({ query: 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', variables: { id: secretKey.apiKey.id } });
    const { status, result } = await send(captured, revoke);
    expect(status).toBe(401);
    expect(result.data).toBeUndefined();
    expect(result.errors).toEqual([expect.objectContaining({ message: 'Unauthenticated: request body is not the one its context was signed for', extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
    expect((await callRpc(sut.messaging.nc, sut.messaging.subjects, ResolveApiKey, { key: secretKey.key })).ok).toBe(true);
    // The same query serialised differently is another body too.
    expect((await send(captured, JSON.stringify({ query: '{ project { id } }', variables: {} }))).status).toBe(401);
  });

  it('refuses the right body once its context is older than 30 s', async () => {
    const stale = signCallerContext(caller, read, TEST_SIGNING_SECRET, Date.now() - 31_000);
    const { status, result } = await send(stale, read);
    expect(status).toBe(401);
    expect(result.errors?.[0]?.message).toBe('Unauthenticated: request context has expired');
  });

  it('refuses a GET carrying a context, which has no body to be signed for', async () => {
    const headers = signCallerContext(caller, '', TEST_SIGNING_SECRET);
    const response = await fetch(`${sut.url}?query=${encodeURIComponent('{ project { id } }')}`, { headers: { ...headers, 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(401);
  });
});
