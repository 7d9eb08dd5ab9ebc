import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsDate, IsInt, IsUUID, Matches, Max, Min } from 'class-validator';

@InputType({ description: 'One A/B variant: its share of the sends and its own email template.' })
export class CampaignVariantInput {
  @Field({ description: 'A short name, unique in the campaign (e.g. A, B, short-subject).' })
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'key must be 1 to 40 letters, digits, - or _' })
  key: string;

  @Field(() => Int, { description: 'Percent of the sends (the weights of all variants add up to 100).' })
  @IsInt()
  @Min(1)
  @Max(99)
  weight: number;

  // The template flat here: create-campaign.input.ts imports this file, so CampaignEmailInput cannot be used back.
  @Field(() => ID, { description: "The variant's email template." })
  @IsUUID()
  templateId: string;

  @Field(() => Int, { description: 'The template version to pin.' })
  @IsInt()
  @Min(1)
  templateVersion: number;
}

@InputType({ description: 'Promote the variant with the best conversion rate once the test phase ends; later sends all get it.' })
export class VariantPromotionInput {
  @Field({ description: 'When the test phase ends.' })
  @IsDate()
  endsAt: Date;
}
