import { Field, ID, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsDate, IsEnum, IsNotEmpty, IsOptional, IsTimeZone, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { CampaignChannel } from '../campaign.model.js';

@InputType()
export class CampaignScheduleInput {
  @Field()
  @IsDate()
  startAt: Date;

  @Field({ description: 'IANA time zone, e.g. Europe/Berlin.' })
  @IsTimeZone()
  timeZone: string;
}

@InputType()
export class CreateCampaignInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @Field(() => CampaignChannel)
  @IsEnum(CampaignChannel)
  channel: CampaignChannel;

  @Field(() => ID, { nullable: true, description: 'The segment to reach (owned by the segments subgraph).' })
  @IsOptional()
  @IsUUID()
  audienceSegmentId?: string | null;

  @Field(() => CampaignScheduleInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignScheduleInput)
  schedule?: CampaignScheduleInput | null;
}
