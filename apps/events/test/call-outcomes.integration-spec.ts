import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CallStateChanged, type MessageOf } from '@boomerang/contracts';
import { applyOwnedStream } from '@boomerang/platform/messaging';
import { eventually, type TestSubgraph } from '@boomerang/platform/testing';
import { startEventsSubgraph } from './support.js';

type Outcome = MessageOf<typeof CallStateChanged>;

/** voice's CallStateChanged messages become events for both participants, once each. */
describe('events record call outcomes', () => {
  let sut: TestSubgraph;
  let db: DataSource;
  const projectId = randomUUID();

  beforeAll(async () => {
    sut = await startEventsSubgraph();
    db = sut.app.get(DataSource);
    // The voice stream as voice declares it; the consumer waits for it if events started first.
    await applyOwnedStream(sut.messaging.jsm, sut.messaging.subjects, 'voice');
  });
  afterAll(() => sut?.close());

  const outcome = (callId: string, caller: string, callee: string, state: Outcome['state'], previousState: Outcome['previousState'], extra: Partial<Outcome> = {}): Outcome => {
    const at = new Date().toISOString();
    return {
      projectId,
      occurredAt: at,
      callId,
      state,
      previousState,
      callerProfileId: caller,
      calleeProfileId: callee,
      context: { reason: 'Your order is outside', reference: 'order-1042', metadata: { items: 2 } },
      at,
      durationSeconds: null,
      endReason: null,
      ...extra,
    };
  };
  const publish = (body: Outcome, msgID = randomUUID()) =>
    sut.messaging.js.publish(sut.messaging.subjects.subject(CallStateChanged, projectId), JSON.stringify(body), { msgID });
  const eventsOf = async (callId: string) =>
    (await db.query(
      `SELECT name, profile_id, message_id, properties FROM "${sut.schema}".event WHERE project_id = $1 AND properties->>'callId' = $2 ORDER BY "timestamp", name, message_id`,
      [projectId, callId],
    )) as { name: string; profile_id: string; message_id: string; properties: Record<string, unknown> }[];
  const settled = async () => {
    const stream = sut.messaging.subjects.streamName('voice');
    await eventually(async () => {
      const info = await sut.messaging.jsm.consumers.info(stream, 'events-call-outcomes');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
  };

  it('records Call Placed, Answered and Ended per participant with context and duration, once, despite redelivery', async () => {
    const callId = randomUUID();
    const caller = randomUUID();
    const callee = randomUUID();
    const lifecycle = [
      outcome(callId, caller, callee, 'PLACED', null),
      outcome(callId, caller, callee, 'RINGING', 'PLACED'),
      outcome(callId, caller, callee, 'ANSWERED', 'RINGING'),
      outcome(callId, caller, callee, 'ENDED', 'ANSWERED', { durationSeconds: 42.5, endReason: 'HANG_UP_CALLER' }),
    ];
    for (const body of lifecycle) {
      const msgID = randomUUID();
      await publish(body, msgID);
      await publish(body, msgID); // a relay retry within JetStream's duplicate window
      await publish(body); // a republish JetStream cannot recognise: the event message id catches it
    }
    await eventually(async () => (await eventsOf(callId)).length === 6);
    await settled();
    const events = await eventsOf(callId);
    expect(events).toHaveLength(6);
    expect(events.map((event) => [event.name, event.profile_id === caller ? 'caller' : 'callee', event.message_id])).toEqual(
      expect.arrayContaining([
        ['Call Placed', 'caller', `call:${callId}:PLACED:CALLER`],
        ['Call Placed', 'callee', `call:${callId}:PLACED:CALLEE`],
        ['Call Answered', 'caller', `call:${callId}:ANSWERED:CALLER`],
        ['Call Answered', 'callee', `call:${callId}:ANSWERED:CALLEE`],
        ['Call Ended', 'caller', `call:${callId}:ENDED:CALLER`],
        ['Call Ended', 'callee', `call:${callId}:ENDED:CALLEE`],
      ]),
    );
    const ended = events.find((event) => event.name === 'Call Ended' && event.profile_id === callee)!;
    expect(ended.properties).toEqual({ callId, role: 'callee', reason: 'Your order is outside', reference: 'order-1042', durationSeconds: 42.5, endReason: 'HANG_UP_CALLER' });
  });

  it('records every unanswered outcome under its own name', async () => {
    const names: [Outcome['state'], string][] = [
      ['MISSED', 'Call Missed'],
      ['DECLINED', 'Call Declined'],
      ['CANCELLED', 'Call Cancelled'],
      ['BUSY', 'Call Busy'],
      ['UNREACHABLE', 'Call Unreachable'],
      ['FAILED', 'Call Failed'],
    ];
    const calls = names.map(([state, name]) => ({ callId: randomUUID(), caller: randomUUID(), callee: randomUUID(), state, name }));
    for (const call of calls) {
      await publish(outcome(call.callId, call.caller, call.callee, call.state, 'RINGING', { endReason: call.state === 'FAILED' ? 'MEDIA_FAILED' : (call.state as Outcome['endReason']) }));
    }
    for (const call of calls) {
      await eventually(async () => (await eventsOf(call.callId)).length === 2);
      const events = await eventsOf(call.callId);
      expect(events.map((event) => event.name)).toEqual([call.name, call.name]);
      expect(events.map((event) => event.profile_id).sort()).toEqual([call.caller, call.callee].sort());
    }
  });
});
