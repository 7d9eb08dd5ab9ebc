import { Injectable } from '@nestjs/common';
import { CallStateChanged, type MessageOf } from '@boomerang/contracts';
import { Clock, MessagingLifecycle } from '@boomerang/platform/subgraph';
import type { IngestEventCommand } from '../ingestion/ingest-event.command.js';
import { IngestEvents } from '../ingestion/ingest-events.use-case.js';

type CallStateChangedBody = MessageOf<typeof CallStateChanged>;

/** The event each call outcome becomes; RINGING is a passing state and records nothing. */
export const CALL_EVENT_NAMES: Readonly<Partial<Record<CallStateChangedBody['state'], string>>> = {
  PLACED: 'Call Placed',
  ANSWERED: 'Call Answered',
  DECLINED: 'Call Declined',
  MISSED: 'Call Missed',
  CANCELLED: 'Call Cancelled',
  BUSY: 'Call Busy',
  UNREACHABLE: 'Call Unreachable',
  FAILED: 'Call Failed',
  ENDED: 'Call Ended',
};

/**
 * Turns voice's call outcomes into events, one per participant profile, through the same
 * IngestEvents write path as every other event, so segments, campaigns and journeys can react
 * (e.g. follow up a missed call). The message id `call:<callId>:<state>:<role>` makes a
 * redelivered or republished outcome record nothing twice.
 */
@Injectable()
export class CallOutcomesConsumer {
  constructor(
    lifecycle: MessagingLifecycle,
    private readonly ingestEvents: IngestEvents,
    private readonly clock: Clock,
  ) {
    lifecycle.register({ durable: 'events-call-outcomes', contract: CallStateChanged, handle: (body) => this.record(body) });
  }

  async record(body: CallStateChangedBody): Promise<void> {
    const commands = callOutcomeEvents(body, this.clock.now());
    if (commands.length > 0) await this.ingestEvents.execute(body.projectId, commands);
  }
}

export function callOutcomeEvents(body: CallStateChangedBody, receivedAt: Date): IngestEventCommand[] {
  const name = CALL_EVENT_NAMES[body.state];
  if (!name) return [];
  const timestamp = new Date(body.at);
  return (['caller', 'callee'] as const).map((role) => ({
    messageId: `call:${body.callId}:${body.state}:${role.toUpperCase()}`,
    type: 'track',
    name,
    profileId: role === 'caller' ? body.callerProfileId : body.calleeProfileId,
    userId: null,
    anonymousId: null,
    properties: {
      callId: body.callId,
      role,
      reason: body.context.reason,
      reference: body.context.reference,
      durationSeconds: body.durationSeconds,
      endReason: body.endReason,
    },
    traits: null,
    previousId: null,
    context: null,
    timestamp,
    sentAt: null,
    receivedAt,
    // voice's own report of a call, not a client's claim.
    verified: true,
  }));
}
