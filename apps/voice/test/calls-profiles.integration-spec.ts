import { randomUUID } from 'node:crypto';
import { ProfileDeleted, ProfileMerged, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, newKnownProfile, newKnownProfiles, seedKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import type { CallService } from '../src/calls/call.service.js';
import type { CallUpdates } from '../src/presence/call-updates.js';
import type { ConnectedClients } from '../src/presence/connected-clients.js';
import { startCallsHarness } from './support/calls-harness.js';

/** Calls follow profiles: merges move them to the survivor, erasure deletes them. */
describe('calls: profile merges and erasure', () => {
  let sut: TestSubgraph;
  let calls: CallService;
  let presence: ConnectedClients;
  let updates: CallUpdates;

  beforeAll(async () => {
    ({ sut, calls, presence, updates } = await startCallsHarness());
    // The profiles stream appears after voice started: its consumers wait for it, then attach.
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'profiles');
  });
  afterAll(() => sut?.close());

  const publish = <C extends MessageContract>(contract: C, projectId: string, body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: new Date().toISOString(), ...body }), {
      msgID: randomUUID(),
    });

  it('moves a merged profile’s calls and masked identities to the survivor, dropping calls between the two', async () => {
    const projectId = randomUUID();
    const [survivor, merged, other] = await newKnownProfiles(sut, projectId, 3);
    const otherProject = randomUUID();
    await seedKnownProfiles(sut, otherProject, [merged, other]);
    presence.connect(projectId, other, 'o');
    presence.connect(projectId, survivor, 's');
    const made = await calls.place(projectId, merged, { calleeProfileId: other, reason: 'Made' });
    await calls.hangUp(projectId, made.id, merged);
    const received = await calls.place(projectId, other, { calleeProfileId: merged, reason: 'Received' });
    const between = await calls.place(projectId, merged, { calleeProfileId: survivor, reason: 'Between' });
    await calls.hangUp(projectId, between.id, merged);
    const elsewhere = await calls.place(otherProject, merged, { calleeProfileId: other, reason: 'Other project' });

    await publish(ProfileMerged, projectId, { profileId: survivor, mergedProfileId: merged });
    await eventually(async () => (await calls.list(projectId, merged)).length === 0);
    expect((await calls.list(projectId, survivor)).map((call) => call.id).sort()).toEqual([made.id, received.id].sort());
    expect((await calls.get(projectId, made.id)).callerProfileId).toBe(survivor);
    expect((await calls.get(projectId, received.id)).calleeProfileId).toBe(survivor);
    expect((await calls.participants(projectId, [made.id, received.id])).filter((p) => p.profileId === survivor)).toHaveLength(2);
    await expect(calls.get(projectId, between.id)).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
    expect((await calls.get(elsewhere.projectId, elsewhere.id)).callerProfileId).toBe(merged);
  });

  it('erases every call of a deleted profile with its timeline, identities and reports, and closes live ones', async () => {
    const projectId = randomUUID();
    const [erased, other] = await newKnownProfiles(sut, projectId, 2);
    presence.connect(projectId, erased, 'e');
    presence.connect(projectId, other, 'o');
    const terminal: string[] = [];
    const stop = updates.onTerminal((_project, callId) => terminal.push(callId));
    try {
      const ended = await calls.place(projectId, other, { calleeProfileId: erased, reason: 'Old' });
      await calls.report(projectId, ended.id, erased, { kind: 'microphone-denied' });
      await calls.decline(projectId, ended.id, erased);
      const live = await calls.place(projectId, erased, { calleeProfileId: other, reason: 'Live' });
      const unrelated = await calls.place(projectId, other, { calleeProfileId: await newKnownProfile(sut, projectId), reason: 'Unrelated' });

      await publish(ProfileDeleted, projectId, { profileId: erased });
      await eventually(async () => (await calls.list(projectId, erased)).length === 0);
      expect(await calls.timelines(projectId, [ended.id, live.id])).toEqual([]);
      expect(await calls.participants(projectId, [ended.id, live.id])).toEqual([]);
      expect(await calls.reports(projectId, [ended.id])).toEqual([]);
      expect(terminal).toContain(live.id);
      expect(terminal.filter((id) => id === ended.id)).toHaveLength(1); // announced once, when it was declined
      expect((await calls.get(projectId, unrelated.id)).id).toBe(unrelated.id);
    } finally {
      stop();
    }
  });
});
