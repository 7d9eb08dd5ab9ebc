import { randomUUID } from 'node:crypto';
import { newKnownProfile, newKnownProfiles, seedKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import type { CallTokens as CallTokensType } from '../src/tokens/call-tokens.js';
import type { ConnectedClients } from '../src/presence/connected-clients.js';
import { publishableKeyCaller, secretKeyCaller, startCallsHarness } from './support/calls-harness.js';

const CALL = `id state reason reference metadata placedAt answeredAt endedAt ringExpiresAt endReason durationSeconds
  branding { brandName logoUrl backgroundColor fontColor buttonColor }
  caller { id } callee { id }
  participants { role profile { id } identity { displayName role avatarUrl proxyNumber } proxyExpiresAt }
  timeline { state at } reports { role kind detail at }`;

interface Participant {
  role: string;
  profile: { id: string };
  identity: { displayName: string; role: string | null; avatarUrl: string | null; proxyNumber: string };
  proxyExpiresAt: string | null;
}
interface CallData {
  id: string;
  state: string;
  endReason: string | null;
  durationSeconds: number | null;
  endedAt: string | null;
  ringExpiresAt: string | null;
  placedAt: string;
  metadata: Record<string, unknown>;
  branding: Record<string, string | null> | null;
  participants: Participant[];
  timeline: { state: string; at: string }[];
  reports: { role: string; kind: string; detail: string | null }[];
}

/** The gateway-facing (secret key) API of calls. */
describe('calls: GraphQL through the gateway', () => {
  let sut: TestSubgraph;
  let presence: ConnectedClients;
  let tokens: CallTokensType;

  beforeAll(async () => {
    ({ sut, presence } = await startCallsHarness());
    tokens = sut.app.get((await import('../src/tokens/call-tokens.js')).CallTokens);
  });
  afterAll(() => sut?.close());

  const gql = <T>(projectId: string, query: string, variables: Record<string, unknown> = {}) => sut.query<T>(query, variables, secretKeyCaller(projectId));
  const ok = async <T>(projectId: string, query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const result = await gql<T>(projectId, query, variables);
    expect(result.errors).toBeUndefined();
    return result.data!;
  };
  const place = (projectId: string, input: Record<string, unknown>) =>
    gql<{ placeCall: CallData }>(projectId, `mutation($input: PlaceCallInput!) { placeCall(input: $input) { ${CALL} } }`, { input });
  const act = (projectId: string, mutation: 'answerCall' | 'declineCall' | 'hangUpCall', callId: string, profileId: string) =>
    gql<Record<string, CallData>>(projectId, `mutation($callId: ID!, $profileId: ID!) { ${mutation}(callId: $callId, profileId: $profileId) { ${CALL} } }`, { callId, profileId });
  const scene = async () => {
    const projectId = randomUUID();
    const [caller, callee] = await newKnownProfiles(sut, projectId, 2);
    presence.connect(projectId, callee, 'conn');
    return { projectId, caller, callee };
  };

  it('mints call tokens for a profile, secret key only, naming bad arguments', async () => {
    const { projectId, caller } = await scene();
    const data = await ok<{ createCallToken: { token: string; expiresAt: string; signallingUrl: string } }>(
      projectId,
      `mutation($profileId: ID!, $identity: CallIdentityInput) { createCallToken(profileId: $profileId, ttlSeconds: 120, identity: $identity) { token expiresAt signallingUrl } }`,
      { profileId: caller, identity: { displayName: 'Ravi', role: 'Delivery partner' } },
    );
    expect(data.createCallToken.signallingUrl).toBe('ws://127.0.0.1:0/calls/signal'); // VOICE_PUBLIC_URL unset: http://127.0.0.1:<VOICE_PUBLIC_PORT>, 0 in tests
    expect(await tokens.verify(data.createCallToken.token)).toMatchObject({
      projectId,
      profileId: caller,
      identity: { displayName: 'Ravi', role: 'Delivery partner' },
      expiresAt: new Date(data.createCallToken.expiresAt),
    });
    const badTtl = await gql(projectId, `mutation($p: ID!) { createCallToken(profileId: $p, ttlSeconds: 1) { token } }`, { p: caller });
    expect(badTtl.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ttlSeconds' });
    const badProfile = await gql(projectId, `mutation { createCallToken(profileId: "nobody") { token } }`);
    expect(badProfile.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'profileId' });
    const pk = await sut.query(`mutation($p: ID!) { createCallToken(profileId: $p) { token } }`, { p: caller }, publishableKeyCaller(projectId));
    expect(pk.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SECRET_KEY_REQUIRED' });
  });

  it('places a branded call with masked identities and runs it to the end, with timeline, reports and duration', async () => {
    const { projectId, caller, callee } = await scene();
    const placed = await place(projectId, {
      callerProfileId: caller,
      calleeProfileId: callee,
      reason: 'Your order is outside',
      reference: 'order-1042',
      metadata: { items: 3 },
      branding: { brandName: 'Speedy', logoUrl: 'https://speedy.example/logo.png', backgroundColor: '#101010', fontColor: '#fafafa', buttonColor: '#22aa22' },
      callerIdentity: { displayName: 'Ravi', role: 'Delivery partner' },
      calleeIdentity: { displayName: 'Customer' },
      ringTimeoutSeconds: 45,
    });
    expect(placed.errors).toBeUndefined();
    const call = placed.data!.placeCall;
    expect(call).toMatchObject({
      state: 'RINGING',
      metadata: { items: 3 },
      branding: { brandName: 'Speedy', backgroundColor: '#101010', buttonColor: '#22aa22' },
      timeline: [{ state: 'PLACED' }, { state: 'RINGING' }],
      endReason: null,
    });
    expect(new Date(call.ringExpiresAt!).getTime() - new Date(call.placedAt).getTime()).toBe(45_000);
    expect(call.participants).toEqual([
      { role: 'CALLER', profile: { id: caller }, identity: { displayName: 'Ravi', role: 'Delivery partner', avatarUrl: null, proxyNumber: expect.stringMatching(/^\+1555\d{7}$/) }, proxyExpiresAt: null },
      { role: 'CALLEE', profile: { id: callee }, identity: { displayName: 'Customer', role: null, avatarUrl: null, proxyNumber: expect.stringMatching(/^\+1555\d{7}$/) }, proxyExpiresAt: null },
    ]);

    expect((await act(projectId, 'answerCall', call.id, caller)).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE_NOT_ALLOWED' });
    expect((await act(projectId, 'answerCall', call.id, callee)).data!.answerCall.state).toBe('ANSWERED');
    const reported = await gql<{ reportCallClient: CallData }>(
      projectId,
      `mutation($input: ReportCallClientInput!) { reportCallClient(input: $input) { ${CALL} } }`,
      { input: { callId: call.id, profileId: callee, kind: 'microphone-denied', detail: 'NotAllowedError' } },
    );
    expect(reported.data!.reportCallClient.reports).toEqual([{ role: 'CALLEE', kind: 'microphone-denied', detail: 'NotAllowedError', at: expect.any(String) }]);
    const ended = (await act(projectId, 'hangUpCall', call.id, caller)).data!.hangUpCall;
    expect(ended).toMatchObject({ state: 'ENDED', endReason: 'HANG_UP_CALLER' });
    expect(ended.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(ended.timeline.map((change) => change.state)).toEqual(['PLACED', 'RINGING', 'ANSWERED', 'ENDED']);
    // The proxy numbers stay mapped for VOICE_PROXY_TTL_SECONDS after the end.
    for (const participant of ended.participants) {
      expect(new Date(participant.proxyExpiresAt!).getTime() - new Date(ended.endedAt!).getTime()).toBe(3600 * 1000);
    }
    const again = await act(projectId, 'hangUpCall', call.id, caller);
    expect(again.errors?.[0]).toMatchObject({ message: 'Illegal call transition from ENDED to ENDED', extensions: { code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION' } });
    const read = await ok<{ call: CallData }>(projectId, `query($id: ID!) { call(id: $id) { ${CALL} } }`, { id: call.id });
    expect(read.call).toEqual(ended);
  });

  it('declines through GraphQL and names every invalid input field', async () => {
    const { projectId, caller, callee } = await scene();
    const call = (await place(projectId, { callerProfileId: caller, calleeProfileId: callee, reason: 'Decline me' })).data!.placeCall;
    expect((await act(projectId, 'declineCall', call.id, callee)).data!.declineCall).toMatchObject({ state: 'DECLINED', endReason: 'DECLINED' });
    const valid = { callerProfileId: caller, calleeProfileId: randomUUID(), reason: 'Hello' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, branding: { backgroundColor: 'blue' } }, 'input.branding.backgroundColor'],
      [{ ...valid, branding: { brandName: 'b'.repeat(65) } }, 'input.branding.brandName'],
      [{ ...valid, calleeIdentity: { avatarUrl: 'ftp://x.example/a.png' } }, 'input.calleeIdentity.avatarUrl'],
      [{ ...valid, metadata: { big: 'x'.repeat(5000) } }, 'input.metadata'],
      [{ ...valid, metadata: 'text' }, 'input.metadata'],
      [{ ...valid, ringTimeoutSeconds: 0 }, 'input.ringTimeoutSeconds'],
      [{ ...valid, reason: 'r'.repeat(65) }, 'input.reason'],
    ];
    for (const [input, field] of cases) {
      const result = await place(projectId, input);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors?.[0]?.message).toContain(field);
    }
    const report = await gql(projectId, `mutation($input: ReportCallClientInput!) { reportCallClient(input: $input) { id } }`, {
      input: { callId: call.id, profileId: callee, kind: 'bad kind!' },
    });
    expect(report.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
    const calls = await ok<{ calls: { id: string }[] }>(projectId, `{ calls { id } }`);
    expect(calls.calls.map((c) => c.id)).toEqual([call.id]);
  });

  it('pages through calls of a profile, newest first', async () => {
    const { projectId, caller } = await scene();
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      ids.unshift((await place(projectId, { callerProfileId: caller, calleeProfileId: await newKnownProfile(sut, projectId), reason: `Call ${index}` })).data!.placeCall.id);
    }
    const [someone, someoneElse] = await newKnownProfiles(sut, projectId, 2);
    await place(projectId, { callerProfileId: someone, calleeProfileId: someoneElse, reason: 'Someone else' });
    const page = (after?: string) =>
      ok<{ calls: { id: string }[] }>(projectId, `query($p: ID, $after: ID) { calls(profileId: $p, first: 2, after: $after) { id } }`, { p: caller, after }).then((d) => d.calls.map((c) => c.id));
    const first = await page();
    const second = await page(first.at(-1));
    const third = await page(second.at(-1));
    expect([...first, ...second, ...third]).toEqual(ids);
    expect(third).toHaveLength(1);
    const bad = await gql(projectId, `{ calls(first: 0) { id } }`);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const unknownAfter = await gql(projectId, `query($a: ID) { calls(first: 2, after: $a) { id } }`, { a: randomUUID() });
    expect(unknownAfter.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('aggregates outcomes per project: counts, answer and missed rates, average duration', async () => {
    const { projectId, caller, callee } = await scene();
    const from = new Date(Date.now() - 60_000).toISOString();
    const placeOne = async (to = callee) => (await place(projectId, { callerProfileId: caller, calleeProfileId: to, reason: 'Stats' })).data!.placeCall;
    const answered = await placeOne();
    await act(projectId, 'answerCall', answered.id, callee);
    await act(projectId, 'hangUpCall', answered.id, callee);
    const declined = await placeOne();
    await act(projectId, 'declineCall', declined.id, callee);
    await placeOne(await newKnownProfile(sut, projectId)); // unreachable
    const live = await placeOne();
    await placeOne(); // busy: the callee is ringing
    const otherProject = randomUUID();
    await seedKnownProfiles(sut, otherProject, [caller]);
    await place(otherProject, { callerProfileId: caller, calleeProfileId: await newKnownProfile(sut, otherProject), reason: 'Other project' });
    const to = new Date(Date.now() + 60_000).toISOString();
    const { callAnalytics } = await ok<{ callAnalytics: Record<string, number | null> }>(
      projectId,
      `query($from: DateTime!, $to: DateTime!) { callAnalytics(from: $from, to: $to) {
        placed answered ended missed declined cancelled busy unreachable failed live answerRate missedRate averageDurationSeconds } }`,
      { from, to },
    );
    expect(callAnalytics).toMatchObject({ placed: 5, answered: 1, ended: 1, missed: 0, declined: 1, cancelled: 0, busy: 1, unreachable: 1, failed: 0, live: 1 });
    expect(callAnalytics.answerRate).toBeCloseTo(0.2);
    expect(callAnalytics.missedRate).toBe(0);
    expect(callAnalytics.averageDurationSeconds).toBeGreaterThanOrEqual(0);
    expect(live.state).toBe('RINGING');
    const reversed = await gql(projectId, `query($from: DateTime!, $to: DateTime!) { callAnalytics(from: $from, to: $to) { placed } }`, { from: to, to: from });
    expect(reversed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const empty = await ok<{ callAnalytics: Record<string, number | null> }>(
      randomUUID(),
      `query($from: DateTime!, $to: DateTime!) { callAnalytics(from: $from, to: $to) { placed answerRate averageDurationSeconds } }`,
      { from, to },
    );
    expect(empty.callAnalytics).toEqual({ placed: 0, answerRate: null, averageDurationSeconds: null });
  });

  it("keeps projects apart: another project's key cannot read or act on a call", async () => {
    const { projectId, caller, callee } = await scene();
    const call = (await place(projectId, { callerProfileId: caller, calleeProfileId: callee, reason: 'Mine' })).data!.placeCall;
    const other = randomUUID();
    expect((await act(other, 'answerCall', call.id, callee)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await act(other, 'hangUpCall', call.id, caller)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await gql(other, `query($id: ID!) { call(id: $id) { id } }`, { id: call.id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await ok<{ calls: unknown[] }>(other, `query($p: ID) { calls(profileId: $p) { id } }`, { p: caller })).calls).toEqual([]);
    const stillRinging = await ok<{ call: CallData }>(projectId, `query($id: ID!) { call(id: $id) { state } }`, { id: call.id });
    expect(stillRinging.call.state).toBe('RINGING');
  });
});
