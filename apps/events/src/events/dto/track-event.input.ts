import { Field, ID, InputType } from '@nestjs/graphql';
import { IsDate, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { OptionalText } from './optional-text.decorator.js';

/** Who did it: a Boomerang profile id, or the product's own user id or anonymous id (at least one). */
@InputType()
export class TrackEventInput {
  @Field(() => ID, { nullable: true, description: 'The Boomerang profile, when the caller knows it.' })
  @IsOptional()
  @IsUUID()
  profileId?: string | null;

  @Field(() => String, { nullable: true, description: 'The product’s user id (resolved to its profile, created on first sight).' })
  @OptionalText(255)
  userId?: string | null;

  @Field(() => String, { nullable: true, description: 'The device’s anonymous id, before the user is known.' })
  @OptionalText(255)
  anonymousId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Publishable keys: a user token (createUserToken) for userId; the call is then trusted like a secret-key call for that user.',
  })
  @OptionalText(2048)
  userToken?: string | null;

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
