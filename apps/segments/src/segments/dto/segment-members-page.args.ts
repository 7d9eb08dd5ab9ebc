import { ArgsType, Field, ID, Int } from '@nestjs/graphql';
import { IsOptional, IsUUID, Max, Min } from 'class-validator';

@ArgsType()
export class SegmentMembersPageArgs {
  @Field(() => Int, { defaultValue: 100 })
  @Min(1)
  @Max(1000)
  first: number;

  @Field(() => ID, { nullable: true, description: 'The last profile id of the previous page (members are ordered by id).' })
  @IsOptional()
  @IsUUID()
  after?: string | null;
}
