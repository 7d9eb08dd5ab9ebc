import { Directive, Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { PageInfo, JSONScalar } from '@boomerang/platform/subgraph';
import type { Consent } from './profile-traits.js';

export enum MessagingChannel {
  EMAIL = 'email',
  SMS = 'sms',
  PUSH = 'push',
  WHATSAPP = 'whatsapp',
}
registerEnumType(MessagingChannel, { name: 'MessagingChannel' });

export enum SubscriptionState {
  SUBSCRIBED = 'subscribed',
  UNSUBSCRIBED = 'unsubscribed',
  /** No decision recorded for the channel. */
  UNKNOWN = 'unknown',
}
registerEnumType(SubscriptionState, { name: 'SubscriptionState' });

@ObjectType({ description: 'Whether the profile may be messaged on a channel, and when that was last decided.' })
export class ChannelSubscription {
  @Field(() => MessagingChannel) channel: MessagingChannel;
  @Field(() => SubscriptionState) state: SubscriptionState;
  @Field(() => Date, { nullable: true, description: 'Null while UNKNOWN.' }) updatedAt: Date | null;
}

/** The subscription state of every channel, as the API presents the stored consent. */
export function subscriptionsOf(consent: Consent | null): ChannelSubscription[] {
  return Object.values(MessagingChannel).map((channel) => {
    const decision = consent?.[channel];
    if (!decision || typeof decision.subscribed !== 'boolean') return { channel, state: SubscriptionState.UNKNOWN, updatedAt: null };
    return {
      channel,
      state: decision.subscribed ? SubscriptionState.SUBSCRIBED : SubscriptionState.UNSUBSCRIBED,
      updatedAt: new Date(decision.updatedAt),
    };
  });
}

@ObjectType({ description: 'One end user of the project: identities, contact details and custom properties.' })
@Directive('@key(fields: "id")')
export class Profile {
  @Field(() => ID) id: string;
  @Field(() => String, { nullable: true, description: "The product's own user id; unique in the project." }) externalId: string | null;
  @Field(() => String, { nullable: true, description: 'Device or session id for users not signed in.' }) anonymousId: string | null;
  @Field(() => String, { nullable: true, description: 'Personal data: null unless read with a secret key.' }) email: string | null;
  @Field(() => String, { nullable: true, description: 'E.164 phone number. Personal data: null unless read with a secret key.' })
  phone: string | null;
  @Field(() => String, { nullable: true }) name: string | null;
  @Field(() => String, { nullable: true, description: 'IANA time zone name, e.g. "Europe/Lisbon" (from CleverTap Tz, Segment traits or context).' })
  timeZone: string | null;
  @Field(() => String, { nullable: true, description: 'BCP 47 locale in canonical form, e.g. "pt-BR" (from traits or context).' })
  locale: string | null;
  @Field(() => JSONScalar, { description: 'Custom properties (a JSON object).' }) properties: Record<string, unknown>;
  @Field(() => JSONScalar, {
    nullable: true,
    description:
      'Consent per channel, e.g. { "email": { "subscribed": false, "updatedAt": "…" }, "phone": { "dnd": true, "updatedAt": "…" } }. Null unless read with a secret key.',
  })
  consent: Record<string, unknown> | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@ObjectType()
export class ProfileEdge {
  @Field() cursor: string;
  @Field(() => Profile) node: Profile;
}

@ObjectType()
export class ProfileConnection {
  @Field(() => [ProfileEdge]) edges: ProfileEdge[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}
