import { Field, ObjectType, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { Campaign } from '../campaigns/campaign.model.js';
import { CampaignVariant } from './campaign-variant.model.js';

@ObjectType()
export class VariantPromotionView {
  @Field({ description: 'When the test phase ends.' }) endsAt: Date;
  @Field(() => String, { nullable: true, description: 'The promoted variant; null until the phase ended (or without a goal or sends).' }) winner: string | null;
}

/** Campaign fields about A/B variants. */
@Resolver(() => Campaign)
export class CampaignVariantsResolver {
  @ResolveField(() => [CampaignVariant], { description: 'A/B variants (none: every send gets the campaign email).' })
  variants(@Parent() campaign: CampaignEntity): CampaignVariant[] {
    return (campaign.variants ?? []).map((variant) => ({ key: variant.key, weight: variant.weight, email: { templateId: variant.templateId, templateVersion: variant.templateVersion } }));
  }

  @ResolveField(() => VariantPromotionView, { nullable: true })
  variantPromotion(@Parent() campaign: CampaignEntity): VariantPromotionView | null {
    return campaign.variantTestEndsAt ? { endsAt: campaign.variantTestEndsAt, winner: campaign.variantWinner } : null;
  }
}
