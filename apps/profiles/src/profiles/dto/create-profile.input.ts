import { Field, InputType } from '@nestjs/graphql';
import { IsDefined, IsEmail, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { JSONScalar } from '@boomerang/platform/subgraph';

export const E164 = /^\+[1-9]\d{1,14}$/;

@InputType()
export class CreateProfileInput {
  @Field(() => String, { nullable: true, description: "The product's own user id. Either this or anonymousId is required." })
  @ValidateIf((input: CreateProfileInput) => input.anonymousId == null || input.externalId != null)
  @IsDefined({ message: 'externalId or anonymousId is required' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  externalId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  anonymousId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'E.164, e.g. +14155550123.' })
  @IsOptional()
  @Matches(E164, { message: 'phone must be an E.164 number such as +14155550123' })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string | null;

  @Field(() => JSONScalar, { nullable: true, description: 'Custom properties (a JSON object).' })
  @IsOptional()
  @IsObject()
  properties?: Record<string, unknown> | null;
}
