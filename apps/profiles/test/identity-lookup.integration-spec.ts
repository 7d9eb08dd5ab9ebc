import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { MAX_IDENTITIES_PER_LOOKUP, ResolveIdentities } from '@boomerang/contracts';
import { callRpc } from '@boomerang/platform/messaging';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { lookupIdentity } from '../src/identities/identity-lookup.responder.js';
import { secretKeyCaller, startProfilesSubgraph } from './support.js';

/** ResolveIdentities: what segments asks while importing a cohort file. */
describe('profiles: resolving identities in batches', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startProfilesSubgraph();
  });
  afterAll(() => sut?.close());

  const createProfile = async (projectId: string, input: Record<string, unknown>) => {
    const result = await sut.query<{ createProfile: { id: string } }>(
      `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`,
      { input },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createProfile.id;
  };
  const resolve = (projectId: string, kind: 'user_id' | 'email' | 'phone', values: string[]) =>
    callRpc(sut.messaging.nc, sut.messaging.subjects, ResolveIdentities, { projectId, kind, values });

  it('answers each value with its profile, in order, normalizing emails and phones, in one query', async () => {
    const project = randomUUID();
    const ada = await createProfile(project, { externalId: 'u-ada', email: 'Ada@Example.com', phone: '+4930123456' });
    const bob = await createProfile(project, { externalId: 'u-bob', email: 'bob@example.com' });
    const db = sut.app.get(DataSource);
    const queries = jest.spyOn(db.manager, 'query');
    try {
      expect(await resolve(project, 'user_id', ['u-bob', 'nobody', 'u-ada', 'U-ADA', 'u-bob'])).toEqual({ profileIds: [bob, null, ada, null, bob], malformed: [] });
      expect(queries).toHaveBeenCalledTimes(1);
    } finally {
      queries.mockRestore();
    }
    expect(await resolve(project, 'email', [' ADA@example.COM ', 'bob@example.com', 'carol@example.com', 'not an email', ''])).toEqual({
      profileIds: [ada, bob, null, null, null],
      malformed: [3, 4],
    });
    expect(await resolve(project, 'phone', ['+49 30 123456', '0049-30-123456', '+49 (30) 123.456', '030 123456', '+4930999999'])).toEqual({
      profileIds: [ada, ada, ada, null, null],
      malformed: [3],
    });
  });

  it("never answers with another project's profile, a merged one or an erased one", async () => {
    const [project, other] = [randomUUID(), randomUUID()];
    await createProfile(other, { externalId: 'shared-id' });
    const survivor = await createProfile(project, { externalId: 'survivor' });
    const merged = await createProfile(project, { anonymousId: 'anon-1', email: 'merged@example.com' });
    const erased = await createProfile(project, { externalId: 'erased' });
    expect((await sut.query(`mutation($a: ID!, $b: ID!) { mergeProfiles(profileId: $a, mergedProfileId: $b) { id } }`, { a: survivor, b: merged }, secretKeyCaller(project))).errors).toBeUndefined();
    expect((await sut.query(`mutation($id: ID!) { eraseProfile(id: $id) }`, { id: erased }, secretKeyCaller(project))).errors).toBeUndefined();

    expect(await resolve(project, 'user_id', ['shared-id', 'survivor', 'erased'])).toEqual({ profileIds: [null, survivor, null], malformed: [] });
    expect(await resolve(project, 'email', ['merged@example.com'])).toEqual({ profileIds: [survivor], malformed: [] });
  });

  it(`refuses requests over ${MAX_IDENTITIES_PER_LOOKUP} values or with a malformed project`, async () => {
    const values = Array.from({ length: MAX_IDENTITIES_PER_LOOKUP }, (_, index) => `u-${index}`);
    await expect(resolve(randomUUID(), 'user_id', values)).resolves.toMatchObject({ profileIds: values.map(() => null) });
    await expect(resolve(randomUUID(), 'user_id', [...values, 'one more'])).rejects.toThrow(/values/);
    // Sent raw, past the caller's own check: the responder validates too.
    const reply = await sut.messaging.nc.request(sut.messaging.subjects.request(ResolveIdentities.name), JSON.stringify({ projectId: 'x', kind: 'user_id', values: ['a'] }));
    expect(reply.json()).toMatchObject({ rpcError: expect.stringMatching(/projectId/) });
  });
});

describe('lookupIdentity', () => {
  it.each([
    ['user_id', ' u 1 ', ' u 1 '],
    ['user_id', '', null],
    ['email', ' A@B.CO ', 'a@b.co'],
    ['email', 'a@', null],
    ['phone', '+1 (415) 555-0123', '+14155550123'],
    ['phone', '0014155550123', '+14155550123'],
    ['phone', '+0123', null],
    ['phone', '4155550123', null],
  ] as const)('%s %j → %j', (kind, value, expected) => {
    expect(lookupIdentity(kind, value)?.value ?? null).toBe(expected);
  });
});
