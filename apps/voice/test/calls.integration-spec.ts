import { randomUUID } from 'node:crypto';
import { newKnownProfile, newKnownProfiles, seedKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import type { CallService } from '../src/calls/call.service.js';
import type { CallUpdate, CallUpdates } from '../src/presence/call-updates.js';
import type { ConnectedClients } from '../src/presence/connected-clients.js';
import { startCallsHarness } from './support/calls-harness.js';

/** The CALLS domain through its seams (CallService, ConnectedClients, CallUpdates), against real PostgreSQL. */
describe('calls: the call lifecycle', () => {
  let sut: TestSubgraph;
  let calls: CallService;
  let presence: ConnectedClients;
  let updates: CallUpdates;

  beforeAll(async () => {
    ({ sut, calls, presence, updates } = await startCallsHarness());
  });
  afterAll(() => sut?.close());

  /** A project with a caller and a callee (known profiles) whose client is connected. */
  const scene = async () => {
    const projectId = randomUUID();
    const [caller, callee] = await newKnownProfiles(sut, projectId, 2);
    presence.connect(projectId, callee, `conn-${callee}`, { displayName: 'Asha', role: 'Shopper' });
    return { projectId, caller, callee };
  };
  const states = async (projectId: string, callId: string) => (await calls.timelines(projectId, [callId])).map((change) => change.state);

  it('rings a connected callee, then answers and ends with the duration, timeline and end reason', async () => {
    const { projectId, caller, callee } = await scene();
    const placed = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'At your door', reference: 'order-7', ringTimeoutSeconds: 60 });
    expect(placed.state).toBe('ringing');
    expect(placed.ringExpiresAt!.getTime() - placed.placedAt.getTime()).toBe(60_000);
    const answered = await calls.answer(projectId, placed.id, callee);
    expect(answered).toMatchObject({ state: 'answered', endReason: null });
    expect(answered.answeredAt).toBeInstanceOf(Date);
    const ended = await calls.hangUp(projectId, placed.id, callee);
    expect(ended).toMatchObject({ state: 'ended', endReason: 'HANG_UP_CALLEE' });
    expect(ended.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(await states(projectId, placed.id)).toEqual(['placed', 'ringing', 'answered', 'ended']);
  });

  it('is UNREACHABLE without a connected client and BUSY while the callee is on a live call', async () => {
    const { projectId, caller, callee } = await scene();
    const offline = await newKnownProfile(sut, projectId);
    const unreachable = await calls.place(projectId, caller, { calleeProfileId: offline, reason: 'Hello' });
    expect(unreachable).toMatchObject({ state: 'unreachable', endReason: 'UNREACHABLE' });
    expect(await states(projectId, unreachable.id)).toEqual(['placed', 'unreachable']);

    const first = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'First' });
    const busy = await calls.place(projectId, await newKnownProfile(sut, projectId), { calleeProfileId: callee, reason: 'Second' });
    expect(busy).toMatchObject({ state: 'busy', endReason: 'BUSY' });
    expect(await states(projectId, busy.id)).toEqual(['placed', 'busy']);
    await calls.hangUp(projectId, first.id, caller);
    expect((await calls.place(projectId, await newKnownProfile(sut, projectId), { calleeProfileId: callee, reason: 'Third' })).state).toBe('ringing');
  });

  it('lets only one of two simultaneous calls to the same callee ring', async () => {
    const { projectId, callee } = await scene();
    const callers = await newKnownProfiles(sut, projectId, 3);
    const placed = await Promise.all(callers.map((caller) => calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Race' })));
    expect(placed.map((call) => call.state).sort()).toEqual(['busy', 'busy', 'ringing']);
  });

  it('declines, cancels and fails, each with its end reason', async () => {
    const { projectId, caller, callee } = await scene();
    const declined = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'One' });
    expect(await calls.decline(projectId, declined.id, callee)).toMatchObject({ state: 'declined', endReason: 'DECLINED', durationSeconds: null });

    const cancelled = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Two' });
    expect(await calls.hangUp(projectId, cancelled.id, caller)).toMatchObject({ state: 'cancelled', endReason: 'CANCELLED' });
    expect(await states(projectId, declined.id)).toEqual(['placed', 'ringing', 'declined']);
    expect(await states(projectId, cancelled.id)).toEqual(['placed', 'ringing', 'cancelled']);

    const failed = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Three' });
    expect(await calls.fail(projectId, failed.id, 'MEDIA_FAILED')).toMatchObject({ state: 'failed', endReason: 'MEDIA_FAILED' });
    expect(await states(projectId, failed.id)).toEqual(['placed', 'ringing', 'failed']);

    const lost = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Four' });
    await calls.answer(projectId, lost.id, callee);
    const ended = await calls.fail(projectId, lost.id, 'CONNECTION_LOST');
    expect(ended).toMatchObject({ state: 'ended', endReason: 'CONNECTION_LOST' });
    expect(ended.durationSeconds).not.toBeNull();
  });

  it('refuses illegal transitions and the wrong participant, naming the states', async () => {
    const { projectId, caller, callee } = await scene();
    const call = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Rules' });
    await expect(calls.answer(projectId, call.id, caller)).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    await expect(calls.answer(projectId, call.id, randomUUID())).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    await calls.decline(projectId, call.id, callee);
    await expect(calls.answer(projectId, call.id, callee)).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      message: 'Illegal call transition from DECLINED to ANSWERED',
    });
    await expect(calls.hangUp(projectId, call.id, caller)).rejects.toMatchObject({ message: 'Illegal call transition from DECLINED to ENDED' });
    await expect(calls.fail(projectId, call.id, 'MEDIA_FAILED')).rejects.toMatchObject({ message: 'Illegal call transition from DECLINED to FAILED' });
    expect(await states(projectId, call.id)).toEqual(['placed', 'ringing', 'declined']);
    await expect(calls.answer(randomUUID(), call.id, callee)).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
    await expect(calls.answer(projectId, 'not-a-call', callee)).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
  });

  it('names the invalid field of a place request and writes nothing', async () => {
    const { projectId, caller, callee } = await scene();
    const valid = { calleeProfileId: callee, reason: 'Hello' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, reason: 'x'.repeat(65) }, 'input.reason'],
      [{ ...valid, reason: '  ' }, 'input.reason'],
      [{ ...valid, calleeProfileId: caller }, 'input.calleeProfileId'],
      [{ ...valid, calleeProfileId: 'bob' }, 'input.calleeProfileId'],
      [{ ...valid, reference: 'r'.repeat(129) }, 'input.reference'],
      [{ ...valid, metadata: { blob: 'x'.repeat(4100) } }, 'input.metadata'],
      [{ ...valid, metadata: ['not', 'an', 'object'] }, 'input.metadata'],
      [{ ...valid, branding: { backgroundColor: 'red' } }, 'input.branding.backgroundColor'],
      [{ ...valid, branding: { logoUrl: 'javascript:alert(1)' } }, 'input.branding.logoUrl'],
      [{ ...valid, calleeIdentity: { displayName: 'n'.repeat(65) } }, 'input.calleeIdentity.displayName'],
      [{ ...valid, callerIdentity: { avatarUrl: 'not a url' } }, 'input.callerIdentity.avatarUrl'],
      [{ ...valid, ringTimeoutSeconds: 0 }, 'input.ringTimeoutSeconds'],
      [{ ...valid, ringTimeoutSeconds: 301 }, 'input.ringTimeoutSeconds'],
    ];
    for (const [input, field] of cases) {
      await expect(calls.place(projectId, caller, input as never)).rejects.toMatchObject({ kind: 'invalid-input', field });
    }
    expect(await calls.list(projectId)).toEqual([]);
  });

  it('shows each participant its own view: masked identities, context and branding, never the other profile id', async () => {
    const { projectId, caller, callee } = await scene();
    presence.connect(projectId, caller, 'caller-conn', { displayName: 'Token name', role: 'Token role' });
    const call = await calls.place(projectId, caller, {
      calleeProfileId: callee,
      reason: 'Your parcel',
      reference: 'order-9',
      metadata: { eta: '5 min' },
      branding: { brandName: 'Speedy', logoUrl: 'https://speedy.example/logo.png', backgroundColor: '#112233', fontColor: '#ffffff', buttonColor: '#00aa00' },
      callerIdentity: { displayName: 'Ravi', role: 'Delivery partner', avatarUrl: 'https://speedy.example/ravi.png' },
    });
    const callerView = await calls.viewFor(projectId, call.id, caller);
    const calleeView = await calls.viewFor(projectId, call.id, callee);
    expect(calleeView).toMatchObject({
      id: call.id,
      state: 'ringing',
      role: 'CALLEE',
      context: { reason: 'Your parcel', reference: 'order-9', metadata: { eta: '5 min' } },
      branding: { brandName: 'Speedy', backgroundColor: '#112233' },
      self: { displayName: 'Asha', role: 'Shopper', avatarUrl: null },
      remote: { displayName: 'Ravi', role: 'Delivery partner', avatarUrl: 'https://speedy.example/ravi.png' },
      timeline: [{ state: 'placed' }, { state: 'ringing' }],
      ringExpiresAt: call.ringExpiresAt,
    });
    expect(callerView.role).toBe('CALLER');
    expect(callerView.self).toEqual(calleeView.remote);
    expect(callerView.remote).toEqual(calleeView.self);
    expect(JSON.stringify(calleeView)).not.toContain(caller);
    expect(JSON.stringify(callerView)).not.toContain(callee);
    await expect(calls.viewFor(projectId, call.id, randomUUID())).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    expect(calls.roleOf(call, caller)).toBe('CALLER');
    expect(() => calls.roleOf(call, randomUUID())).toThrow(expect.objectContaining({ code: 'NOT_A_PARTICIPANT' }));

    // Without input identities: the identity of the connected client, else "Caller"/"Callee".
    const defaults = await calls.place(projectId, caller, { calleeProfileId: await newKnownProfile(sut, projectId), reason: 'Defaults' });
    const [callerSide, calleeSide] = await calls.participants(projectId, [defaults.id]).then((rows) => [rows.find((r) => r.role === 'CALLER')!, rows.find((r) => r.role === 'CALLEE')!]);
    expect(callerSide).toMatchObject({ displayName: 'Token name', roleLabel: 'Token role' });
    expect(calleeSide).toMatchObject({ displayName: 'Callee', roleLabel: null });
  });

  it('publishes every change to both participants and announces terminal calls once', async () => {
    const { projectId, caller, callee } = await scene();
    const callerStream = updates.subscribe(projectId, caller);
    const calleeStream = updates.subscribe(projectId, callee);
    const terminal: string[] = [];
    const stop = updates.onTerminal((project, callId) => project === projectId && terminal.push(callId));
    try {
      const call = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Live' });
      const incoming = (await calleeStream.next()).value as Extract<CallUpdate, { kind: 'CALL_STATE' }>;
      expect(incoming).toMatchObject({ kind: 'CALL_STATE', profileId: callee, call: { id: call.id, state: 'ringing', role: 'CALLEE', context: { reason: 'Live' } } });
      expect((await callerStream.next()).value).toMatchObject({ call: { state: 'ringing', role: 'CALLER' } });
      await calls.answer(projectId, call.id, callee);
      await calls.hangUp(projectId, call.id, caller);
      for (const stream of [callerStream, calleeStream]) {
        expect((await stream.next()).value).toMatchObject({ call: { state: 'answered' } });
        expect((await stream.next()).value).toMatchObject({ call: { state: 'ended', endReason: 'HANG_UP_CALLER' } });
      }
      expect(terminal).toEqual([call.id]);
    } finally {
      stop();
      await callerStream.return();
      await calleeStream.return();
    }
  });

  it("refuses what a verified token of another profile or project would try: other projects' calls and calls it is not part of", async () => {
    const { CallTokens } = await import('../src/tokens/call-tokens.js');
    const tokens = sut.app.get(CallTokens);
    const { projectId, caller, callee } = await scene();
    const call = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Private' });
    const stranger = await tokens.verify((await tokens.mint(projectId, await newKnownProfile(sut, projectId), 60)).token);
    const elsewhere = randomUUID();
    await seedKnownProfiles(sut, elsewhere, [callee]);
    const otherProject = await tokens.verify((await tokens.mint(elsewhere, callee, 60)).token);
    await expect(calls.viewFor(stranger.projectId, call.id, stranger.profileId)).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    await expect(calls.hangUp(stranger.projectId, call.id, stranger.profileId)).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    await expect(calls.answer(otherProject.projectId, call.id, otherProject.profileId)).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
    await expect(calls.viewFor(otherProject.projectId, call.id, otherProject.profileId)).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
    expect((await calls.get(projectId, call.id)).state).toBe('ringing');
  });

  it('records client reports of participants only', async () => {
    const { projectId, caller, callee } = await scene();
    const call = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Reports' });
    await calls.report(projectId, call.id, callee, { kind: 'microphone-denied', detail: 'NotAllowedError' });
    await calls.report(projectId, call.id, caller, { kind: 'network:slow' });
    await expect(calls.report(projectId, call.id, randomUUID(), { kind: 'x' })).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    await expect(calls.report(projectId, call.id, caller, { kind: 'has spaces' })).rejects.toMatchObject({ field: 'kind' });
    await expect(calls.report(projectId, call.id, caller, { kind: 'ok', detail: 'd'.repeat(501) })).rejects.toMatchObject({ field: 'detail' });
    expect((await calls.reports(projectId, [call.id])).map(({ role, kind, detail }) => ({ role, kind, detail }))).toEqual([
      { role: 'CALLEE', kind: 'microphone-denied', detail: 'NotAllowedError' },
      { role: 'CALLER', kind: 'network:slow', detail: null },
    ]);
  });
});
