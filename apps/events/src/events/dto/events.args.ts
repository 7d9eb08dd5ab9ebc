import { ArgsType, Field } from '@nestjs/graphql';
import { ArrayMaxSize, IsArray, IsDate, IsEnum, IsNotEmpty, IsObject, IsOptional, IsString } from 'class-validator';
import { EVENT_TYPES } from '@boomerang/contracts';
import { ConnectionArgs, JSONScalar } from '@boomerang/platform/subgraph';
import { EventKind } from './ingest-event.input.js';

/** The filters of an events list (the project's, or a profile's); all given ones must hold. */
@ArgsType()
export class EventsArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: 'Only events with this name.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  name?: string | null;

  @Field(() => [EventKind], { nullable: true, description: 'Only these calls (track, identify, page…).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsEnum(EventKind, { each: true })
  types?: EventKind[] | null;

  @Field(() => Date, { nullable: true, description: 'Only events that happened at or after this instant.' })
  @IsOptional()
  @IsDate()
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only events that happened before this instant (after `since`).' })
  @IsOptional()
  @IsDate()
  until?: Date | null;

  @Field(() => JSONScalar, { nullable: true, description: 'Only events whose properties hold each of these top-level properties with this JSON value.' })
  @IsOptional()
  @IsObject()
  propertyEquals?: Record<string, unknown> | null;
}
