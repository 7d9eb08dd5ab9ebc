import { randomUUID } from 'node:crypto';
import { newKnownProfiles, seedKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import type { CallService } from '../src/calls/call.service.js';
import type { ConnectedClients } from '../src/presence/connected-clients.js';
import { publishableKeyCaller, secretKeyCaller, startCallsHarness } from './support/calls-harness.js';

const EXPORT = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ProfileExport { profileId calls } } }`;
const CALL_KEYS = [
  'id',
  'callerProfileId',
  'calleeProfileId',
  'reason',
  'reference',
  'metadata',
  'branding',
  'state',
  'placedAt',
  'answeredAt',
  'endedAt',
  'ringExpiresAt',
  'maxEndsAt',
  'endReason',
  'durationSeconds',
  'createdAt',
  'participants',
  'timeline',
  'reports',
];

interface ExportedCall {
  id: string;
  state: string;
  participants: Record<string, unknown>[];
  timeline: { state: string }[];
  reports: Record<string, unknown>[];
  [column: string]: unknown;
}

describe('calls: the profile’s calls in the GDPR export', () => {
  let sut: TestSubgraph;
  let calls: CallService;
  let presence: ConnectedClients;

  beforeAll(async () => {
    ({ sut, calls, presence } = await startCallsHarness());
  });
  afterAll(() => sut?.close());

  const exportOf = (profileId: string, caller: ReturnType<typeof secretKeyCaller>) =>
    sut.query<{ _entities: { profileId: string; calls: ExportedCall[] }[] }>(EXPORT, { r: [{ __typename: 'ProfileExport', profileId }] }, caller);

  it('holds every call the profile made or received, oldest first, with its participants, timeline and reports as stored', async () => {
    const [projectId, otherProject] = [randomUUID(), randomUUID()];
    const [subject, courier, support] = await newKnownProfiles(sut, projectId, 3);
    await seedKnownProfiles(sut, otherProject, [courier, subject]);
    presence.connect(projectId, courier, 'courier-conn');
    const made = await calls.place(projectId, subject, {
      calleeProfileId: courier,
      reason: 'Where is my parcel',
      reference: 'order-7',
      metadata: { items: 2 },
      branding: { brandName: 'Speedy' },
      callerIdentity: { displayName: 'Shopper' },
      calleeIdentity: { displayName: 'Ravi', role: 'Delivery partner' },
    });
    await calls.answer(projectId, made.id, courier);
    await calls.report(projectId, made.id, subject, { kind: 'microphone-denied', detail: 'NotAllowedError' });
    await calls.hangUp(projectId, made.id, subject);
    // The subject has no connected client: UNREACHABLE, still a call they received.
    const received = await calls.place(projectId, support, { calleeProfileId: subject, reason: 'Follow-up' });
    await calls.place(projectId, support, { calleeProfileId: courier, reason: 'Not theirs' });
    await calls.place(otherProject, courier, { calleeProfileId: subject, reason: 'Other project' });

    const result = await exportOf(subject, secretKeyCaller(projectId));
    expect(result.errors).toBeUndefined();
    const exported = result.data!._entities[0]!;
    expect(exported.profileId).toBe(subject);
    expect(exported.calls.map((call) => call.id)).toEqual([made.id, received.id]);
    for (const call of exported.calls) expect(Object.keys(call).sort()).toEqual([...CALL_KEYS].sort());
    const [first, second] = exported.calls;
    expect(first).toMatchObject({
      callerProfileId: subject,
      calleeProfileId: courier,
      reason: 'Where is my parcel',
      reference: 'order-7',
      metadata: { items: 2 },
      branding: { brandName: 'Speedy' },
      state: 'ended',
      endReason: 'HANG_UP_CALLER',
      answeredAt: expect.any(String),
      endedAt: expect.any(String),
      durationSeconds: expect.any(Number),
    });
    expect(first!.participants).toEqual([
      {
        id: expect.any(String),
        role: 'CALLER',
        profileId: subject,
        displayName: 'Shopper',
        roleLabel: null,
        avatarUrl: null,
        proxyNumber: expect.stringMatching(/^\+1555\d{7}$/),
        proxyExpiresAt: expect.any(String),
      },
      {
        id: expect.any(String),
        role: 'CALLEE',
        profileId: courier,
        displayName: 'Ravi',
        roleLabel: 'Delivery partner',
        avatarUrl: null,
        proxyNumber: expect.stringMatching(/^\+1555\d{7}$/),
        proxyExpiresAt: expect.any(String),
      },
    ]);
    expect(first!.timeline.map((change) => change.state)).toEqual(['placed', 'ringing', 'answered', 'ended']);
    expect(first!.timeline[0]).toEqual({ id: expect.any(String), state: 'placed', at: expect.any(String), seq: expect.any(String) });
    expect(first!.reports).toEqual([{ id: expect.any(String), role: 'CALLER', kind: 'microphone-denied', detail: 'NotAllowedError', at: expect.any(String) }]);
    expect(second).toMatchObject({ callerProfileId: support, calleeProfileId: subject, state: 'unreachable', reports: [] });
    expect(second!.timeline.map((change) => change.state)).toEqual(['placed', 'unreachable']);

    const elsewhere = await exportOf(subject, secretKeyCaller(otherProject));
    expect(elsewhere.data!._entities[0]!.calls.map((call) => call.reason)).toEqual(['Other project']);
    expect((await exportOf(randomUUID(), secretKeyCaller(projectId))).data!._entities[0]!.calls).toEqual([]);
  });

  it('is refused to publishable keys', async () => {
    const projectId = randomUUID();
    const [subject, other] = await newKnownProfiles(sut, projectId, 2);
    await calls.place(projectId, subject, { calleeProfileId: other, reason: 'Private call' });
    const result = await exportOf(subject, publishableKeyCaller(projectId));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    expect(JSON.stringify(result)).not.toContain('Private call');
  });
});
