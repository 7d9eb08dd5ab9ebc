import { ArgsType, Field } from '@nestjs/graphql';
import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { ConnectionArgs } from '@boomerang/platform/subgraph';

@ArgsType()
export class EventsArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: 'Only events with this name.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  name?: string | null;
}
