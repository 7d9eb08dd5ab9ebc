import { Field, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsEnum, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { InAppLayout } from '../in-app-content.js';

@InputType()
export class InAppButtonInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(50)
  label: string;

  @Field({ description: "An https URL or the app's own deep link (myapp://orders/42)." })
  @IsNotEmpty()
  @MaxLength(2000)
  deepLink: string;
}

@InputType()
export class CampaignInAppInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  title: string;

  @Field()
  @IsString()
  @MaxLength(4000)
  body: string;

  @Field(() => String, { nullable: true, description: 'An https image URL.' })
  @IsOptional()
  @MaxLength(2000)
  imageUrl?: string | null;

  @Field(() => InAppLayout)
  @IsEnum(InAppLayout)
  layout: InAppLayout;

  @Field(() => [InAppButtonInput], { defaultValue: [], description: 'At most 3.' })
  @ArrayMaxSize(3)
  @ValidateNested({ each: true })
  @Type(() => InAppButtonInput)
  buttons: InAppButtonInput[];

  @Field(() => JSONScalar, { nullable: true, description: 'Flat key-value data for the client: at most 50 keys, values strings, numbers or booleans.' })
  @IsOptional()
  custom?: Record<string, string | number | boolean> | null;

  @Field(() => Int, { nullable: true, description: 'Hours after which a message is no longer shown (1–2160); null: never expires.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2160)
  expiresInHours?: number | null;
}
