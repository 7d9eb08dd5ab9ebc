import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Clock } from '@boomerang/platform/subgraph';
import { newKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import type { CallService } from '../src/calls/call.service.js';
import type { CallUpdate, CallUpdates } from '../src/presence/call-updates.js';
import type { ConnectedClients } from '../src/presence/connected-clients.js';
import { secretKeyCaller, startCallsHarness } from './support/calls-harness.js';

/** What the product's profiles hold about the two people; voice must never see or repeat any of it. */
const REAL = { shopperEmail: 'asha.k@example.com', shopperPhone: '+14155550123', courierEmail: 'ravi@fleet.example', courierPhone: '+919876543210' };
const EMAIL = /[^\s@"]+@[^\s@"]+\.[^\s@"]+/;
const PHONE = /\+\d{7,}/g;

const CALL = `id state reason reference metadata endReason durationSeconds
  branding { brandName logoUrl backgroundColor fontColor buttonColor }
  participants { role profile { id } identity { displayName role avatarUrl proxyNumber } proxyExpiresAt }
  timeline { state at } reports { role kind detail at }`;

describe('calls: privacy, proxy numbers and outcome messages', () => {
  let sut: TestSubgraph;
  let calls: CallService;
  let presence: ConnectedClients;
  let updates: CallUpdates;

  beforeAll(async () => {
    ({ sut, calls, presence, updates } = await startCallsHarness());
  });
  afterAll(() => sut?.close());

  /** Every message voice published for the project, in order. */
  const published = async (projectId: string): Promise<{ subject: string; body: Record<string, unknown> }[]> => {
    await sut.flushOutbox();
    const stream = sut.messaging.subjects.streamName('voice');
    const subjects = `${sut.prefix}voice.${projectId}.>`;
    const info = await sut.messaging.jsm.streams.info(stream, { subjects_filter: subjects });
    const count = Object.values((info.state.subjects as Record<string, number> | undefined) ?? {}).reduce((sum, n) => sum + n, 0);
    const out: { subject: string; body: Record<string, unknown> }[] = [];
    if (count === 0) return out;
    const consumer = await sut.messaging.js.consumers.get(stream, { filter_subjects: subjects });
    for await (const message of await consumer.fetch({ max_messages: count, expires: 2000 })) {
      out.push({ subject: message.subject.slice(sut.prefix.length), body: message.json() });
      if (out.length === count) break;
    }
    return out;
  };

  it('publishes CallStateChanged for every transition in order, only for committed ones, with exactly the contract shape', async () => {
    const projectId = randomUUID();
    const [caller, callee] = await newKnownProfiles(sut, projectId, 2);
    presence.connect(projectId, callee, 'conn');
    const call = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Parcel', reference: 'order-5', metadata: { slot: 'am' } });
    await calls.answer(projectId, call.id, callee);
    await expect(calls.decline(projectId, call.id, callee)).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    const ended = await calls.hangUp(projectId, call.id, caller);
    const messages = await published(projectId);
    expect(messages.map((message) => message.subject)).toEqual([
      `voice.${projectId}.call.state-changed`,
      `voice.${projectId}.call.placed`,
      `voice.${projectId}.call.state-changed`,
      `voice.${projectId}.call.state-changed`,
      `voice.${projectId}.call.state-changed`,
    ]);
    const changes = messages.filter((message) => message.subject.endsWith('state-changed')).map((message) => message.body);
    expect(changes.map((body) => [body.previousState, body.state])).toEqual([
      [null, 'PLACED'],
      ['PLACED', 'RINGING'],
      ['RINGING', 'ANSWERED'],
      ['ANSWERED', 'ENDED'],
    ]);
    for (const body of changes) {
      expect(Object.keys(body).sort()).toEqual(
        ['projectId', 'occurredAt', 'callId', 'state', 'previousState', 'callerProfileId', 'calleeProfileId', 'context', 'at', 'durationSeconds', 'endReason'].sort(),
      );
      expect(body).toMatchObject({ projectId, callId: call.id, callerProfileId: caller, calleeProfileId: callee, context: { reason: 'Parcel', reference: 'order-5', metadata: { slot: 'am' } } });
    }
    expect(changes.at(-1)).toMatchObject({ endReason: 'HANG_UP_CALLER', durationSeconds: ended.durationSeconds, at: ended.endedAt!.toISOString() });
    // Proxy numbers and masked identities stay in voice.
    expect(JSON.stringify(messages)).not.toMatch(/\+1555\d{7}|displayName|proxyNumber/);
  });

  it('never carries contact details: not in inputs, GraphQL responses, client views or messages', async () => {
    const projectId = randomUUID();
    const [shopper, courier] = await newKnownProfiles(sut, projectId, 2);
    presence.connect(projectId, shopper, 'shopper-conn', { displayName: 'Asha', role: 'Customer' });
    const seen: unknown[] = [];
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const result = await sut.query(query, variables, secretKeyCaller(projectId));
      seen.push(result);
      expect(result.errors).toBeUndefined();
      return result.data as Record<string, { id: string }>;
    };
    const streams = [updates.subscribe(projectId, shopper), updates.subscribe(projectId, courier)];
    const views: CallUpdate[] = [];
    const collecting = streams.map(async (stream) => {
      for await (const update of stream) views.push(update);
    });

    // The API has nowhere to put an email or a phone number …
    const introspection = await sut.query<{ __schema: { types: { name: string; inputFields: { name: string }[] | null; fields: { name: string }[] | null }[] } }>(
      `{ __schema { types { name inputFields { name } fields { name } } } }`,
      {},
      secretKeyCaller(projectId),
    );
    const callTypes = introspection.data!.__schema.types.filter((type) => /Call|MaskedIdentity/.test(type.name));
    const names = callTypes.flatMap((type) => [...(type.inputFields ?? []), ...(type.fields ?? [])].map((field) => field.name.toLowerCase()));
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((name) => /email|phone|msisdn/.test(name))).toEqual([]);

    // … and masked identities refuse them when a project tries.
    for (const identity of [{ displayName: REAL.courierEmail }, { displayName: `Ravi ${REAL.courierPhone}` }, { role: 'call 98765 43210' }]) {
      const refused = await sut.query(`mutation($input: PlaceCallInput!) { placeCall(input: $input) { id } }`, {
        input: { callerProfileId: courier, calleeProfileId: shopper, reason: 'Delivery', callerIdentity: identity },
      }, secretKeyCaller(projectId));
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: expect.stringMatching(/^input\.callerIdentity\.(displayName|role)$/) });
    }

    const token = await gql(`mutation($p: ID!) { createCallToken(profileId: $p, identity: { displayName: "Ravi", role: "Delivery partner" }) { token expiresAt signallingUrl } }`, { p: courier });
    const placed = await gql(`mutation($input: PlaceCallInput!) { placeCall(input: $input) { ${CALL} } }`, {
      input: { callerProfileId: courier, calleeProfileId: shopper, reason: 'Your parcel is here', reference: 'order-77', callerIdentity: { displayName: 'Ravi', role: 'Delivery partner' } },
    });
    const callId = placed.placeCall!.id;
    await gql(`mutation($c: ID!, $p: ID!) { answerCall(callId: $c, profileId: $p) { ${CALL} } }`, { c: callId, p: shopper });
    await gql(`mutation($input: ReportCallClientInput!) { reportCallClient(input: $input) { ${CALL} } }`, { input: { callId, profileId: shopper, kind: 'microphone-denied' } });
    await gql(`mutation($c: ID!, $p: ID!) { hangUpCall(callId: $c, profileId: $p) { ${CALL} } }`, { c: callId, p: courier });
    await gql(`query($id: ID!) { call(id: $id) { ${CALL} } }`, { id: callId });
    await gql(`query($p: ID!) { calls(profileId: $p) { ${CALL} } }`, { p: shopper });
    await Promise.all(streams.map((stream) => stream.return()));
    await Promise.all(collecting);
    const messages = await published(projectId);

    expect(views.filter((update) => update.kind === 'CALL_STATE')).toHaveLength(6); // ringing, answered, ended × 2
    for (const update of views) {
      if (update.kind !== 'CALL_STATE') continue;
      expect(Object.keys(update.call.self).sort()).toEqual(['avatarUrl', 'displayName', 'proxyNumber', 'role']);
      expect(Object.keys(update.call.remote).sort()).toEqual(['avatarUrl', 'displayName', 'proxyNumber', 'role']);
      // A participant's view names no profile id of the other side.
      expect(JSON.stringify(update.call)).not.toContain(update.profileId === shopper ? courier : shopper);
    }
    const everything = JSON.stringify({ seen, views, messages, token: token.createCallToken });
    for (const real of Object.values(REAL)) expect(everything).not.toContain(real);
    expect(everything).not.toMatch(EMAIL);
    const phoneLike = [...new Set(everything.match(PHONE) ?? [])];
    expect(phoneLike.length).toBe(2); // the two proxy numbers of the call
    for (const number of phoneLike) expect(number).toMatch(/^\+1555\d{7}$/);
  });

  it('gives every participant of every live call of a project its own proxy number, mapped back only while it lives', async () => {
    const projectId = randomUUID();
    const live: { id: string; caller: string; callee: string }[] = [];
    for (let index = 0; index < 30; index++) {
      const [caller, callee] = await newKnownProfiles(sut, projectId, 2);
      presence.connect(projectId, callee, `c-${index}`);
      live.push({ id: (await calls.place(projectId, caller, { calleeProfileId: callee, reason: `Call ${index}` })).id, caller, callee });
    }
    const participants = await calls.participants(projectId, live.map((call) => call.id));
    const numbers = participants.map((participant) => participant.proxyNumber);
    expect(numbers).toHaveLength(60);
    expect(new Set(numbers).size).toBe(60);
    for (const number of numbers) expect(number).toMatch(/^\+1555\d{7}$/);

    const [first] = live;
    const callerNumber = participants.find((p) => p.callId === first!.id && p.role === 'CALLER')!.proxyNumber;
    expect(await calls.resolveProxy(projectId, callerNumber)).toEqual({ callId: first!.id, role: 'CALLER', profileId: first!.caller });
    expect(await calls.resolveProxy(randomUUID(), callerNumber)).toBeNull();
    const ended = await calls.hangUp(projectId, first!.id, first!.caller);
    expect(await calls.resolveProxy(projectId, callerNumber)).not.toBeNull();
    const clock = sut.app.get(Clock);
    const afterTtl = jest.spyOn(clock, 'now').mockReturnValue(new Date(ended.endedAt!.getTime() + 3600 * 1000 + 1));
    try {
      expect(await calls.resolveProxy(projectId, callerNumber)).toBeNull();
    } finally {
      afterTtl.mockRestore();
    }
  });
});
