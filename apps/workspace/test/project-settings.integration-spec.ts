import { randomUUID } from 'node:crypto';
import { GetIngestPolicy } from '@boomerang/contracts';
import { callRpc } from '@boomerang/platform/messaging';
import { startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';

const admin = { projectId: null, keyId: null, scope: 'admin' as const };

describe('workspace: project settings and the ingest policy other services read', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startTestSubgraph(() => import('../src/app.module.js').then((m) => m.AppModule), { service: 'workspace' });
  });
  afterAll(() => sut?.close());

  const UPDATE = `mutation($input: UpdateProjectInput!) { updateProject(input: $input) { id name timeZone requireUserVerification } }`;

  it('turns user verification on and off for the project of the secret key, and answers the policy look-up accordingly', async () => {
    const created = await sut.query<{ createProject: { project: { id: string; requireUserVerification: boolean } } }>(
      `mutation { createProject(input: { name: "Shop" }) { project { id requireUserVerification } } }`,
      {},
      admin,
    );
    const project = created.data!.createProject.project;
    expect(project.requireUserVerification).toBe(false);
    const policy = () => callRpc(sut.messaging.nc, sut.messaging.subjects, GetIngestPolicy, { projectId: project.id });
    expect(await policy()).toEqual({ ok: true, requireUserVerification: false });

    const secret = { projectId: project.id, keyId: randomUUID(), scope: 'secret' as const };
    const updated = await sut.query(UPDATE, { input: { requireUserVerification: true } }, secret);
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateProject).toEqual({ id: project.id, name: 'Shop', timeZone: 'UTC', requireUserVerification: true });
    expect(await policy()).toEqual({ ok: true, requireUserVerification: true });

    const renamed = await sut.query(UPDATE, { input: { name: 'Shop 2', timeZone: 'Europe/Paris' } }, secret);
    expect(renamed.data!.updateProject).toMatchObject({ name: 'Shop 2', timeZone: 'Europe/Paris', requireUserVerification: true });
  });

  it('refuses publishable keys and invalid settings naming the field; an unknown project has no policy', async () => {
    const projectId = randomUUID();
    const publishable = await sut.query(UPDATE, { input: { requireUserVerification: true } }, { projectId, keyId: randomUUID(), scope: 'publishable' });
    expect(publishable.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const invalid = await sut.query(UPDATE, { input: { timeZone: 'Mars/Olympus' } }, { projectId, keyId: randomUUID(), scope: 'secret' });
    expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(invalid.errors)).toContain('timeZone');
    expect(await callRpc(sut.messaging.nc, sut.messaging.subjects, GetIngestPolicy, { projectId })).toEqual({ ok: false, reason: 'unknown' });
  });
});
