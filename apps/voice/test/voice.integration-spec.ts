import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { newKnownProfile, newKnownProfiles, seedKnownProfiles, startTestSubgraph, type TestSubgraph } from '@boomerang/platform/testing';
import { loadVoiceAppModule, publishableKeyCaller, secretKeyCaller } from './support/calls-harness.js';

const CALL_FIELDS = `id state reason reference placedAt answeredAt endedAt createdAt
  caller { __typename id } callee { __typename id } timeline { state at }`;

interface CallView {
  id: string;
  state: string;
  reason: string;
  reference: string | null;
  placedAt: string;
  caller: { __typename: string; id: string };
  callee: { __typename: string; id: string };
  timeline: { state: string; at: string }[];
}

describe('voice subgraph', () => {
  let sut: TestSubgraph;
  beforeAll(async () => {
    sut = await startTestSubgraph(loadVoiceAppModule, { service: 'voice' });
  });
  afterAll(() => sut?.close());

  const place = (projectId: string, input: Record<string, unknown>, caller = secretKeyCaller(projectId)) =>
    sut.query<{ placeCall: CallView }>(`mutation($input: PlaceCallInput!) { placeCall(input: $input) { ${CALL_FIELDS} } }`, { input }, caller);
  /** Between new known profiles unless `input` names them (known ones too). */
  const placeCall = async (projectId: string, input: Record<string, unknown> = {}) => {
    const [callerProfileId, calleeProfileId] = await newKnownProfiles(sut, projectId, 2);
    const result = await place(projectId, { callerProfileId, calleeProfileId, reason: 'Your order is here', ...input });
    expect(result.errors).toBeUndefined();
    return result.data!.placeCall;
  };
  const listCalls = (projectId: string, profileId?: string) =>
    sut.query<{ calls: { id: string }[] }>(`query($profileId: ID) { calls(profileId: $profileId) { id } }`, { profileId }, secretKeyCaller(projectId));

  it('refuses requests that the gateway did not sign', async () => {
    const result = await sut.query(`{ calls { id } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('places a call (UNREACHABLE: no client of the callee is connected) with profile references and its timeline', async () => {
    const projectId = randomUUID();
    const [shopper, courier] = await newKnownProfiles(sut, projectId, 2);
    const placed = await placeCall(projectId, { callerProfileId: courier, calleeProfileId: shopper, reason: 'At your door', reference: 'order-1042' });
    expect(placed).toMatchObject({
      state: 'UNREACHABLE',
      reason: 'At your door',
      reference: 'order-1042',
      answeredAt: null,
      endedAt: placed.placedAt,
      caller: { __typename: 'Profile', id: courier },
      callee: { __typename: 'Profile', id: shopper },
      timeline: [
        { state: 'PLACED', at: placed.placedAt },
        { state: 'UNREACHABLE', at: placed.placedAt },
      ],
    });
    const read = await sut.query<{ call: CallView }>(`query($id: ID!) { call(id: $id) { ${CALL_FIELDS} } }`, { id: placed.id }, secretKeyCaller(projectId));
    expect(read.errors).toBeUndefined();
    expect(read.data!.call).toEqual(placed);
  });

  it('lists calls a profile made or received, newest first', async () => {
    const projectId = randomUUID();
    const ann = await newKnownProfile(sut, projectId);
    const made = await placeCall(projectId, { callerProfileId: ann });
    const received = await placeCall(projectId, { calleeProfileId: ann });
    const unrelated = await placeCall(projectId);
    expect((await listCalls(projectId, ann)).data!.calls.map((call) => call.id)).toEqual([received.id, made.id]);
    expect((await listCalls(projectId)).data!.calls.map((call) => call.id)).toEqual([unrelated.id, received.id, made.id]);
    const invalid = await listCalls(projectId, 'not-a-uuid');
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'profileId' });
  });

  it('keeps projects apart, by id and in lists', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const shared = randomUUID();
    await seedKnownProfiles(sut, a, [shared]);
    await seedKnownProfiles(sut, b, [shared]);
    const ofA = await placeCall(a, { callerProfileId: shared });
    const ofB = await placeCall(b, { callerProfileId: shared });
    const byId = await sut.query(`query($id: ID!) { call(id: $id) { id } }`, { id: ofA.id }, secretKeyCaller(b));
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await listCalls(b)).data!.calls.map((call) => call.id)).toEqual([ofB.id]);
    expect((await listCalls(b, shared)).data!.calls.map((call) => call.id)).toEqual([ofB.id]);
  });

  it('names the invalid field and writes nothing', async () => {
    const projectId = randomUUID();
    const same = randomUUID();
    const valid = { callerProfileId: randomUUID(), calleeProfileId: randomUUID(), reason: 'Hello' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, reason: 'x'.repeat(65) }, 'input.reason'],
      [{ ...valid, reason: '' }, 'input.reason'],
      [{ ...valid, callerProfileId: 'someone' }, 'input.callerProfileId'],
      [{ ...valid, reference: 'r'.repeat(129) }, 'input.reference'],
      [{ ...valid, callerProfileId: same, calleeProfileId: same }, 'input.calleeProfileId'],
    ];
    for (const [input, field] of cases) {
      const result = await place(projectId, input);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors?.[0]?.message).toContain(field);
    }
    expect((await listCalls(projectId)).data!.calls).toEqual([]);
  });

  it('refuses publishable keys', async () => {
    const projectId = randomUUID();
    const result = await place(projectId, { callerProfileId: randomUUID(), calleeProfileId: randomUUID(), reason: 'pk' }, publishableKeyCaller(projectId));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
    expect((await listCalls(projectId)).data!.calls).toEqual([]);
    const read = await sut.query(`{ calls { id } }`, {}, publishableKeyCaller(projectId));
    expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('loads timelines for a list of calls in one query', async () => {
    const projectId = randomUUID();
    for (let index = 0; index < 3; index++) await placeCall(projectId);
    const { CallService } = await import('../src/calls/call.service.js');
    const timelines = jest.spyOn(sut.app.get(CallService), 'timelines');
    try {
      const result = await sut.query<{ calls: { timeline: { state: string }[] }[] }>(`{ calls { id timeline { state at } } }`, {}, secretKeyCaller(projectId));
      expect(result.errors).toBeUndefined();
      expect(result.data!.calls.map((call) => call.timeline.map((change) => change.state))).toEqual([0, 1, 2].map(() => ['PLACED', 'UNREACHABLE']));
      expect(timelines).toHaveBeenCalledTimes(1);
    } finally {
      timelines.mockRestore();
    }
  });

  it('resolves entity references in one batch, scoped to the caller project', async () => {
    const a = randomUUID();
    const first = await placeCall(a, { reason: 'Ref one' });
    const second = await placeCall(a, { reason: 'Ref two' });
    const foreign = await placeCall(randomUUID(), { reason: 'Elsewhere' });
    const { CallService } = await import('../src/calls/call.service.js');
    const findMany = jest.spyOn(sut.app.get(CallService), 'findMany');
    try {
      const result = await sut.query<{ _entities: ({ id: string; reason: string; callee: { id: string } } | null)[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Call { id reason callee { id } } } }`,
        { representations: [first, second, foreign].map(({ id }) => ({ __typename: 'Call', id })) },
        secretKeyCaller(a),
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([
        { id: first.id, reason: 'Ref one', callee: { id: first.callee.id } },
        { id: second.id, reason: 'Ref two', callee: { id: second.callee.id } },
        null,
      ]);
      expect(findMany).toHaveBeenCalledTimes(1);
    } finally {
      findMany.mockRestore();
    }
  });

  it('announces placed calls through the outbox', async () => {
    const projectId = randomUUID();
    const placed = await placeCall(projectId);
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('voice');
    const stored = await sut.messaging.jsm.streams.getMessage(stream, { last_by_subj: `${sut.prefix}voice.${projectId}.call.placed` });
    expect(stored!.json()).toMatchObject({
      projectId,
      callId: placed.id,
      callerProfileId: placed.caller.id,
      calleeProfileId: placed.callee.id,
      occurredAt: placed.placedAt,
    });
  });
});
