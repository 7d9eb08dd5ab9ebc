import { Directive, Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';

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
}
