import { Field, Int, ObjectType } from '@nestjs/graphql';
import { CampaignEmail } from '../campaigns/campaign.model.js';

@ObjectType()
export class CampaignVariant {
  @Field() key: string;
  @Field(() => Int, { description: 'Percent of the sends.' }) weight: number;
  @Field(() => CampaignEmail) email: CampaignEmail;
}
