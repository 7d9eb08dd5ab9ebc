import { randomUUID } from 'node:crypto';
import { ListProfileIds, type ProfileIdsPage } from '@boomerang/contracts';
import { callRpc } from '@boomerang/platform/messaging';
import type { TestSubgraph } from '@boomerang/platform/testing';
import { secretKeyCaller, startProfilesSubgraph } from './support.js';

/** What other services read once to fill their projection of profiles. */
describe('profiles: the pages of existing profile ids', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startProfilesSubgraph();
  });
  afterAll(() => sut?.close());

  const createProfile = async (projectId: string, input: { externalId: string } | { anonymousId: string }) => {
    const result = await sut.query<{ createProfile: { id: string } }>(
      `mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`,
      { input },
      secretKeyCaller(projectId),
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createProfile.id;
  };

  it("lists every project's profiles in id order, page by page, leaving out merged and erased ones", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const [survivor, merged, erased, kept] = [
      await createProfile(a, { externalId: 'survivor' }),
      // Anonymous: two user ids would not merge.
      await createProfile(a, { anonymousId: 'merged' }),
      await createProfile(a, { externalId: 'erased' }),
      await createProfile(b, { externalId: 'kept' }),
    ];
    const merge = await sut.query(`mutation($a: ID!, $b: ID!) { mergeProfiles(profileId: $a, mergedProfileId: $b) { id } }`, { a: survivor, b: merged }, secretKeyCaller(a));
    expect(merge.errors).toBeUndefined();
    const erase = await sut.query(`mutation($id: ID!) { eraseProfile(id: $id) }`, { id: erased }, secretKeyCaller(a));
    expect(erase.errors).toBeUndefined();

    const pages: { projectId: string; profileId: string }[][] = [];
    for (let after: string | null = null, more = true; more; ) {
      const page: ProfileIdsPage = await callRpc(sut.messaging.nc, sut.messaging.subjects, ListProfileIds, { after, limit: 1 });
      pages.push(page.profiles);
      after = page.next;
      more = after !== null;
    }
    expect(pages.flat()).toEqual(
      [
        { projectId: a, profileId: survivor },
        { projectId: b, profileId: kept },
      ].sort((x, y) => x.profileId.localeCompare(y.profileId)),
    );
    // Full pages point at the next one; the first short page is the last.
    expect(pages.map((page) => page.length)).toEqual([1, 1, 0]);
  });
});
