import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { CallEndReason } from './call-view.js';

export enum CallState {
  PLACED = 'placed',
  RINGING = 'ringing',
  ANSWERED = 'answered',
  ENDED = 'ended',
  CANCELLED = 'cancelled',
  DECLINED = 'declined',
  MISSED = 'missed',
  BUSY = 'busy',
  UNREACHABLE = 'unreachable',
  FAILED = 'failed',
}
registerEnumType(CallState, {
  name: 'CallState',
  description: 'PLACED → RINGING → ANSWERED → ENDED, or one of the unanswered outcomes. New calls are PLACED.',
});

registerEnumType(CallEndReason, { name: 'CallEndReason', description: 'Why a call ended: a hang-up, a limit, a failure, or the unanswered outcome itself.' });

export enum CallParticipantRole {
  CALLER = 'CALLER',
  CALLEE = 'CALLEE',
}
registerEnumType(CallParticipantRole, { name: 'CallParticipantRole' });

/** A profile owned by the profiles subgraph; calls only refer to it. */
@ObjectType('Profile')
@Directive('@key(fields: "id", resolvable: false)')
export class ProfileReference {
  @Field(() => ID) id: string;
}

@ObjectType({ description: 'A state a call entered, and when.' })
export class CallStateChange {
  @Field(() => CallState) state: CallState;
  @Field() at: Date;
}

@ObjectType({ description: 'An in-app voice call between two profiles of one project.' })
@Directive('@key(fields: "id")')
export class Call {
  @Field(() => ID) id: string;
  @Field(() => CallState) state: CallState;
  @Field({ description: 'Why the call is made, shown to the callee (at most 64 characters).' }) reason: string;
  @Field(() => String, { nullable: true, description: "The caller's own reference, e.g. an order id." }) reference: string | null;
  @Field() placedAt: Date;
  @Field(() => Date, { nullable: true }) answeredAt: Date | null;
  @Field(() => Date, { nullable: true }) endedAt: Date | null;
  @Field() createdAt: Date;
  @Field(() => JSONScalar, { description: "The project's free context for the call (a JSON object, at most 4 KB)." }) metadata: Record<string, unknown>;
  @Field(() => CallBranding, { nullable: true }) branding: CallBranding | null;
  @Field(() => Date, { nullable: true, description: 'While RINGING (and afterwards, for the record): when an unanswered call is MISSED.' }) ringExpiresAt: Date | null;
  @Field(() => CallEndReason, { nullable: true }) endReason: CallEndReason | null;
  @Field(() => Float, { nullable: true, description: 'Seconds from answer to end; null for calls never answered.' }) durationSeconds: number | null;
}

@ObjectType({ description: 'How the call is branded on both clients.' })
export class CallBranding {
  @Field(() => String, { nullable: true }) brandName: string | null;
  @Field(() => String, { nullable: true }) logoUrl: string | null;
  @Field(() => String, { nullable: true, description: '#rrggbb' }) backgroundColor: string | null;
  @Field(() => String, { nullable: true, description: '#rrggbb' }) fontColor: string | null;
  @Field(() => String, { nullable: true, description: '#rrggbb' }) buttonColor: string | null;
}

@ObjectType({ description: 'How a participant is shown to the other side of one call: never a real number or contact detail.' })
export class MaskedIdentity {
  @Field() displayName: string;
  @Field(() => String, { nullable: true, description: 'A label chosen by the project, e.g. "Delivery partner".' }) role: string | null;
  @Field(() => String, { nullable: true }) avatarUrl: string | null;
  @Field({ description: 'A masked proxy number issued for this call only.' }) proxyNumber: string;
}

@ObjectType({ description: "A profile's part in a call." })
export class CallParticipant {
  @Field(() => CallParticipantRole) role: CallParticipantRole;
  // A reference to another subgraph's entity: nullable, so a profiles outage nulls only this field (README, "Adding fields across subgraphs").
  @Field(() => ProfileReference, { nullable: true, description: 'Null when the profiles service did not answer for the fields asked (error SUBGRAPH_UNAVAILABLE).' })
  profile: ProfileReference;
  @Field(() => MaskedIdentity) identity: MaskedIdentity;
  @Field(() => Date, { nullable: true, description: 'When the proxy number stops mapping to this profile; null while the call is live.' })
  proxyExpiresAt: Date | null;
}

@ObjectType({ description: "Something a participant's client reported, e.g. microphone permission denied." })
export class CallClientReport {
  @Field(() => CallParticipantRole) role: CallParticipantRole;
  @Field() kind: string;
  @Field(() => String, { nullable: true }) detail: string | null;
  @Field() at: Date;
}

@ObjectType({ description: 'A short-lived token a client connects to call signalling with, as one profile.' })
export class CallToken {
  @Field() token: string;
  @Field() expiresAt: Date;
  @Field({ description: 'The WebSocket (graphql-transport-ws) URL to connect to with `connectionParams: { token }`.' }) signallingUrl: string;
}

@ObjectType({ description: 'Outcomes of the calls placed in a period.' })
export class CallAnalytics {
  @Field(() => Int) placed: number;
  @Field(() => Int, { description: 'Calls that were answered (whatever ended them).' }) answered: number;
  @Field(() => Int) ended: number;
  @Field(() => Int) missed: number;
  @Field(() => Int) declined: number;
  @Field(() => Int) cancelled: number;
  @Field(() => Int) busy: number;
  @Field(() => Int) unreachable: number;
  @Field(() => Int) failed: number;
  @Field(() => Int, { description: 'Calls still PLACED, RINGING or ANSWERED.' }) live: number;
  @Field(() => Float, { nullable: true, description: 'answered / placed; null when no call was placed.' }) answerRate: number | null;
  @Field(() => Float, { nullable: true, description: 'missed / placed; null when no call was placed.' }) missedRate: number | null;
  @Field(() => Float, { nullable: true, description: 'Over answered calls that have ended.' }) averageDurationSeconds: number | null;
}
