import { Field, ID, InputType, ObjectType, Int, registerEnumType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsDate, IsEnum, IsObject, IsOptional, IsUUID, ValidateNested } from 'class-validator';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { OptionalText } from './optional-text.decorator.js';

export enum EventKind {
  TRACK = 'track',
  IDENTIFY = 'identify',
  PAGE = 'page',
  SCREEN = 'screen',
  GROUP = 'group',
  ALIAS = 'alias',
}
registerEnumType(EventKind, { name: 'EventKind', description: 'The call, as in Segment’s tracking API.' });

/** One event for server-side ingestion: the same shapes the SDK HTTP API accepts. */
@InputType()
export class IngestEventInput {
  @Field(() => EventKind)
  @IsEnum(EventKind)
  type: EventKind;

  @Field(() => String, { nullable: true, description: 'track: the event name (required); page/screen: the page or screen name.' })
  @OptionalText(200)
  name?: string | null;

  @Field(() => ID, { nullable: true, description: 'The Boomerang profile, when the caller knows it.' })
  @IsOptional()
  @IsUUID()
  profileId?: string | null;

  @Field(() => String, { nullable: true, description: 'The product’s user id.' })
  @OptionalText(255)
  userId?: string | null;

  @Field(() => String, { nullable: true })
  @OptionalText(255)
  anonymousId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Publishable keys: a user token (createUserToken) for userId; the call is then trusted like a secret-key call for that user.',
  })
  @OptionalText(2048)
  userToken?: string | null;

  @Field(() => JSONScalar, { nullable: true, description: 'track/page/screen properties (a JSON object).' })
  @IsOptional()
  @IsObject()
  properties?: Record<string, unknown> | null;

  @Field(() => JSONScalar, { nullable: true, description: 'identify/group traits (a JSON object).' })
  @IsOptional()
  @IsObject()
  traits?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'group: the group id.' })
  @OptionalText()
  groupId?: string | null;

  @Field(() => String, { nullable: true, description: 'alias: the identity being joined to userId (required).' })
  @OptionalText()
  previousId?: string | null;

  @Field(() => String, { nullable: true, description: 'Dedupe key, unique per project; generated when absent.' })
  @OptionalText(255)
  messageId?: string | null;

  @Field(() => Date, { nullable: true, description: 'When it happened; defaults to when it is received.' })
  @IsOptional()
  @IsDate()
  timestamp?: Date | null;
}

@InputType()
export class IdentifyInput {
  @Field(() => String, { nullable: true })
  @OptionalText(255)
  userId?: string | null;

  @Field(() => String, { nullable: true })
  @OptionalText(255)
  anonymousId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Publishable keys: a user token (createUserToken) for userId; the call is then trusted like a secret-key call for that user.',
  })
  @OptionalText(2048)
  userToken?: string | null;

  @Field(() => JSONScalar, { description: 'Traits to set on the profile (a JSON object).' })
  @IsObject()
  traits: Record<string, unknown>;

  @Field(() => String, { nullable: true })
  @OptionalText(255)
  messageId?: string | null;

  @Field(() => Date, { nullable: true })
  @IsOptional()
  @IsDate()
  timestamp?: Date | null;
}

@InputType()
export class IngestBatchInput {
  @Field(() => [IngestEventInput], { description: '1 to 500 events, recorded in one transaction.' })
  @ValidateNested({ each: true })
  @Type(() => IngestEventInput)
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  events: IngestEventInput[];
}

@ObjectType({ description: 'What a batch ingest recorded.' })
export class IngestResult {
  @Field(() => Int, { description: 'Events recorded by this call.' }) accepted: number;
  @Field(() => Int, { description: 'Events whose messageId had been recorded before (not recorded again).' }) duplicates: number;
  @Field(() => [ID], { description: 'The stored event for each input, in order.' }) eventIds: string[];
}
