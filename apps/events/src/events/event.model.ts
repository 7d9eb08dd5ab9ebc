import { EventKind } from './dto/ingest-event.input.js';
import { Directive, Field, ID, ObjectType } from '@nestjs/graphql';
import { PageInfo, JSONScalar } from '@boomerang/platform/subgraph';

/** The profiles subgraph owns Profile; this subgraph adds fields to it by id. */
@ObjectType('Profile')
@Directive('@key(fields: "id")')
export class ProfileReference {
  @Field(() => ID) id: string;
}

@ObjectType({ description: 'Something a user did, as the product reported it.' })
@Directive('@key(fields: "id")')
export class Event {
  @Field(() => ID) id: string;
  @Field({ description: 'Dedupe key: tracking the same messageId twice records one event.' }) messageId: string;
  @Field(() => EventKind) type: EventKind;
  @Field() name: string;
  @Field(() => String, { nullable: true, description: 'The product’s user id the sender gave.' }) userId: string | null;
  @Field(() => String, { nullable: true }) anonymousId: string | null;
  @Field(() => JSONScalar, { nullable: true, description: 'The sender’s context (library, device, locale…).' }) context: Record<string, unknown> | null;
  @Field(() => JSONScalar, { description: 'Custom properties (a JSON object).' }) properties: Record<string, unknown>;
  @Field({ description: 'When it happened, by the sender’s clock.' }) timestamp: Date;
  @Field({ description: 'When Boomerang received it.' }) receivedAt: Date;
}

@ObjectType()
export class EventEdge {
  @Field() cursor: string;
  @Field(() => Event) node: Event;
}

@ObjectType()
export class EventConnection {
  @Field(() => [EventEdge]) edges: EventEdge[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}
