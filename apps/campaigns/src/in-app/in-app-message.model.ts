import { Field, ID, ObjectType } from '@nestjs/graphql';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { InAppLayout } from './in-app-content.js';

@ObjectType()
export class InAppButton {
  @Field() label: string;
  @Field({ description: 'Where the button leads (https URL or app deep link).' }) deepLink: string;
}

@ObjectType({ description: "An in-app message a campaign created for one profile; report what the user did as `In-App Viewed` / `In-App Clicked` / `In-App Dismissed` events with properties { messageId, campaignId }." })
export class InAppMessage {
  @Field(() => ID) id: string;
  @Field(() => ID) campaignId: string;
  @Field() title: string;
  @Field() body: string;
  @Field(() => String, { nullable: true }) imageUrl: string | null;
  @Field(() => InAppLayout) layout: InAppLayout;
  @Field(() => [InAppButton]) buttons: InAppButton[];
  @Field(() => JSONScalar, { description: 'Key-value data for the client.' }) custom: Record<string, string | number | boolean>;
  @Field(() => String, { nullable: true, description: 'The A/B variant shown.' }) variant: string | null;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true, description: 'Not returned after this moment.' }) expiresAt: Date | null;
}

@ObjectType({ description: 'Opens the live in-app socket for one profile: connect to `url` within 5 minutes.' })
export class InAppLiveToken {
  @Field({ description: 'The WebSocket URL, token included (`?token=…`).' }) url: string;
  @Field() token: string;
  @Field() expiresAt: Date;
}
