import { Field, Int, ObjectType, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { JSONScalar } from '@boomerang/platform/subgraph';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { Campaign } from '../campaigns/campaign.model.js';
import { InAppLayout } from '../in-app/in-app-content.js';
import { InAppButton } from '../in-app/in-app-message.model.js';

@ObjectType()
export class CampaignInApp {
  @Field() title: string;
  @Field() body: string;
  @Field(() => String, { nullable: true }) imageUrl: string | null;
  @Field(() => InAppLayout) layout: InAppLayout;
  @Field(() => [InAppButton]) buttons: InAppButton[];
  @Field(() => JSONScalar) custom: Record<string, string | number | boolean>;
  @Field(() => Int, { nullable: true }) expiresInHours: number | null;
}

@ObjectType()
export class CampaignWebhook {
  @Field() url: string;
  @Field({ description: 'Standard Webhooks signing secret (whsec_…): verify webhook-signature with it.' }) secret: string;
  @Field(() => JSONScalar) custom: Record<string, unknown>;
}

/** The channel content of a campaign (in-app message, webhook target). */
@Resolver(() => Campaign)
export class CampaignChannelsResolver {
  @ResolveField(() => CampaignInApp, { nullable: true })
  inApp(@Parent() campaign: CampaignEntity): CampaignInApp | null {
    return campaign.inApp;
  }

  @ResolveField(() => CampaignWebhook, { nullable: true })
  webhook(@Parent() campaign: CampaignEntity): CampaignWebhook | null {
    return campaign.webhook;
  }
}
