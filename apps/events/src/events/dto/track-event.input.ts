import { Field, ID, InputType } from '@nestjs/graphql';
import { IsDate, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { OptionalText } from './optional-text.decorator.js';

@InputType()
export class TrackEventInput {
  @Field(() => ID)
  @IsUUID()
  profileId: string;

  @Field(() => String, { nullable: true, description: 'Dedupe key, unique per project; generated when absent.' })
  @OptionalText(255)
  messageId?: string | null;

  @Field()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @Field(() => JSONScalar, { nullable: true, description: 'Custom properties (a JSON object).' })
  @IsOptional()
  @IsObject()
  properties?: Record<string, unknown> | null;

  @Field(() => Date, { nullable: true, description: 'When it happened; defaults to when it is received.' })
  @IsOptional()
  @IsDate()
  timestamp?: Date | null;
}
