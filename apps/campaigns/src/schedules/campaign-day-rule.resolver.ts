import { Field, ObjectType, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { Campaign } from '../campaigns/campaign.model.js';
import { DayRuleMode } from './dto/campaign-day-rule.input.js';

@ObjectType()
export class CampaignDayRule {
  @Field(() => DayRuleMode) mode: `${DayRuleMode}`;
  @Field() weekends: boolean;
  @Field() holidays: boolean;
  @Field(() => String, { nullable: true, description: "null: each profile's country." }) country: string | null;
}

@Resolver(() => Campaign)
export class CampaignDayRuleResolver {
  @ResolveField(() => CampaignDayRule, { nullable: true, description: 'Weekends and public holidays: skipped, or the only days it sends on.' })
  dayRule(@Parent() campaign: CampaignEntity): CampaignDayRule | null {
    return campaign.dayRule;
  }
}
