import { Field, InputType } from '@nestjs/graphql';
import { IsNotEmpty, IsOptional, MaxLength } from 'class-validator';
import { JSONScalar } from '@boomerang/platform/subgraph';

@InputType()
export class CampaignWebhookInput {
  @Field({ description: 'Where each message is POSTed (http or https; private and loopback addresses are refused).' })
  @IsNotEmpty()
  @MaxLength(2000)
  url: string;

  @Field(() => JSONScalar, { nullable: true, description: 'Sent as `data.custom` in every payload (a JSON object, at most 16 KB).' })
  @IsOptional()
  custom?: Record<string, unknown> | null;
}
