import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { NestFactory } from '@nestjs/core';
import { Clock } from '@boomerang/platform/subgraph';
import { eventually, newKnownProfiles, type TestSubgraph } from '@boomerang/platform/testing';
import type { CallDeadlines as CallDeadlinesType } from '../src/calls/call-deadlines.js';
import type { CallService } from '../src/calls/call.service.js';
import type { ConnectedClients } from '../src/presence/connected-clients.js';
import { loadVoiceAppModule, startCallsHarness } from './support/calls-harness.js';

/** Ring timeouts and maximum durations: prompt in-process timers, and a sweep that survives restarts. */
describe('calls: deadlines', () => {
  let sut: TestSubgraph;
  let calls: CallService;
  let deadlines: CallDeadlinesType;
  let presence: ConnectedClients;

  beforeAll(async () => {
    ({ sut, calls, presence } = await startCallsHarness());
    deadlines = sut.app.get((await import('../src/calls/call-deadlines.js')).CallDeadlines);
  });
  afterAll(() => sut?.close());

  const ringingCall = async (ringTimeoutSeconds = 1) => {
    const projectId = randomUUID();
    const [caller, callee] = await newKnownProfiles(sut, projectId, 2);
    presence.connect(projectId, callee, 'c1');
    const call = await calls.place(projectId, caller, { calleeProfileId: callee, reason: 'Knock knock', ringTimeoutSeconds });
    return { projectId, caller, callee, call };
  };

  it('makes an unanswered call MISSED when its ring timeout passes', async () => {
    const { projectId, call } = await ringingCall(1);
    expect(call.state).toBe('ringing');
    await eventually(async () => (await calls.get(projectId, call.id)).state === 'missed', { timeoutMs: 4000 });
    const missed = await calls.get(projectId, call.id);
    expect(missed).toMatchObject({ endReason: 'MISSED', durationSeconds: null });
    // The timer is prompt: well inside one sweep interval after the deadline.
    expect(missed.endedAt!.getTime() - call.ringExpiresAt!.getTime()).toBeLessThan(1000);
    expect((await calls.timelines(projectId, [call.id])).map((change) => change.state)).toEqual(['placed', 'ringing', 'missed']);
  });

  it('leaves an answered call alone at its ring deadline', async () => {
    const { projectId, callee, call } = await ringingCall(1);
    await calls.answer(projectId, call.id, callee);
    await sleep(1300);
    expect((await calls.get(projectId, call.id)).state).toBe('answered');
    await calls.hangUp(projectId, call.id, callee);
  });

  it('ends an answered call at the maximum duration (MAX_DURATION), on the Clock', async () => {
    const { projectId, callee, call } = await ringingCall(30);
    const answered = await calls.answer(projectId, call.id, callee);
    expect(answered.maxEndsAt!.getTime() - answered.answeredAt!.getTime()).toBe(3600 * 1000);
    const clock = sut.app.get(Clock);
    const later = new Date(answered.maxEndsAt!.getTime() + 1);
    const now = jest.spyOn(clock, 'now').mockReturnValue(later);
    try {
      expect(await deadlines.sweep()).toBeGreaterThanOrEqual(1);
    } finally {
      now.mockRestore();
    }
    const ended = await calls.get(projectId, call.id);
    expect(ended).toMatchObject({ state: 'ended', endReason: 'MAX_DURATION', durationSeconds: 3600.001 });
    expect(ended.endedAt).toEqual(later);
  });

  it('loses no deadline across a restart: a fresh instance sweeps what the stopped one left', async () => {
    const { projectId, call } = await ringingCall(1);
    deadlines.stop(); // the instance "crashes": its timers are gone
    await sleep(1300);
    expect((await calls.get(projectId, call.id)).state).toBe('ringing');

    // Same module (same schema and NATS prefix), a new process-like instance: its start-up sweep applies the deadline.
    const fresh = await NestFactory.create((await loadVoiceAppModule()) as never, { logger: false });
    try {
      await fresh.init();
      const { CallService } = await import('../src/calls/call.service.js');
      expect(fresh.get(CallService)).not.toBe(calls);
      expect(await calls.get(projectId, call.id)).toMatchObject({ state: 'missed', endReason: 'MISSED' });
    } finally {
      await fresh.close();
    }
  });
});
