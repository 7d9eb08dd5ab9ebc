import { randomUUID } from 'node:crypto';
import { ProfileCreated, ProfileDeleted, ProfileMerged } from '@boomerang/contracts';
import { domainStreamConfig } from '@boomerang/platform/messaging';
import {
  consumedUpTo,
  createTestMessaging,
  publishMessage,
  secretKeyCaller,
  startTestSubgraph,
  uniqueSubjectPrefix,
  type TestMessaging,
  type TestSubgraph,
} from '@boomerang/platform/testing';
import { PROFILE_CREATED_DURABLE } from '../src/calls/call-profile-sync.js';
import { loadVoiceAppModule } from './support/calls-harness.js';

const TOKEN = `mutation($p: ID!) { createCallToken(profileId: $p) { token } }`;
const PLACE = `mutation($input: PlaceCallInput!) { placeCall(input: $input) { id state } }`;

/** Call tokens and calls are for profiles that exist: voice follows profiles' announcements. */
describe('calls: only profiles that exist get tokens and calls', () => {
  let messaging: TestMessaging;
  let sut: TestSubgraph;

  beforeAll(async () => {
    const prefix = uniqueSubjectPrefix();
    messaging = await createTestMessaging(prefix);
    await messaging.jsm.streams.add(domainStreamConfig(messaging.subjects, 'profiles'));
    sut = await startTestSubgraph(loadVoiceAppModule, { service: 'voice', prefix });
  });
  afterAll(async () => {
    await sut?.close();
    await messaging?.cleanup();
  });

  /** Publishes ProfileCreated for new ids and waits until voice has taken them in. */
  const createdProfiles = async (projectId: string, count: number) => {
    const ids = Array.from({ length: count }, () => randomUUID());
    for (const profileId of ids) {
      await consumedUpTo(messaging, 'profiles', PROFILE_CREATED_DURABLE, await publishMessage(messaging, ProfileCreated, projectId, { profileId, externalId: null }));
    }
    return ids;
  };
  const token = (projectId: string, profileId: string) => sut.query<{ createCallToken: { token: string } }>(TOKEN, { p: profileId }, secretKeyCaller(projectId));
  const place = (projectId: string, callerProfileId: string, calleeProfileId: string) =>
    sut.query<{ placeCall: { id: string; state: string } }>(PLACE, { input: { callerProfileId, calleeProfileId, reason: 'Your parcel' } }, secretKeyCaller(projectId));
  const storedCalls = async (projectId: string) => {
    const result = await sut.query<{ calls: { id: string }[] }>(`{ calls { id } }`, {}, secretKeyCaller(projectId));
    return result.data!.calls;
  };
  const announcedCalls = async (projectId: string) => {
    await sut.flushOutbox();
    const info = await sut.messaging.jsm.streams.info(sut.messaging.subjects.streamName('voice'), { subjects_filter: `${sut.prefix}voice.${projectId}.>` });
    return Object.keys((info.state.subjects as Record<string, number> | undefined) ?? {}).length;
  };

  it('mints tokens for and places calls between profiles announced by ProfileCreated', async () => {
    const project = randomUUID();
    const [caller, callee] = await createdProfiles(project, 2);
    const minted = await token(project, caller);
    expect(minted.errors).toBeUndefined();
    expect(minted.data!.createCallToken.token).toBeTruthy();
    const placed = await place(project, caller, callee);
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeCall.state).toBe('UNREACHABLE');
    expect(await announcedCalls(project)).toBeGreaterThan(0);
  });

  it('refuses a random id with NOT_FOUND naming it and the argument, and records nothing', async () => {
    const project = randomUUID();
    const [known] = await createdProfiles(project, 1);
    const unknown = randomUUID();

    const minted = await token(project, unknown);
    expect(minted.data).toBeNull();
    expect(minted.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'PROFILE_NOT_FOUND', field: 'profileId' });
    expect(minted.errors?.[0]?.message).toContain(unknown);
    expect(minted.errors?.[0]?.message).toMatch(/not yet known.*retry shortly/);

    const toUnknown = await place(project, known, unknown);
    expect(toUnknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.calleeProfileId' });
    expect(toUnknown.errors?.[0]?.message).toContain(unknown);
    const fromUnknown = await place(project, unknown, known);
    expect(fromUnknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.callerProfileId' });
    expect(await storedCalls(project)).toEqual([]);
    expect(await announcedCalls(project)).toBe(0);
  });

  it("refuses another project's profiles", async () => {
    const [project, other] = [randomUUID(), randomUUID()];
    const [mine] = await createdProfiles(project, 1);
    const [theirs] = await createdProfiles(other, 1);
    expect((await token(project, theirs)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'profileId' });
    expect((await place(project, mine, theirs)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.calleeProfileId' });
    expect(await storedCalls(project)).toEqual([]);
  });

  it('refuses a merged profile (not as an alias of the survivor) and an erased one', async () => {
    const project = randomUUID();
    const [survivor, merged, erased] = await createdProfiles(project, 3);
    await consumedUpTo(messaging, 'profiles', 'voice-profile-merged', await publishMessage(messaging, ProfileMerged, project, { profileId: survivor, mergedProfileId: merged }));
    await consumedUpTo(messaging, 'profiles', 'voice-profile-deleted', await publishMessage(messaging, ProfileDeleted, project, { profileId: erased }));

    for (const gone of [merged, erased]) {
      expect((await token(project, gone)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'profileId' });
      expect((await place(project, survivor, gone)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.calleeProfileId' });
    }
    expect(await storedCalls(project)).toEqual([]);
    expect((await token(project, survivor)).errors).toBeUndefined();
  });
});
