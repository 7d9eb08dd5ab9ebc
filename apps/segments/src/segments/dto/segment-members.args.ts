import { ArgsType, Field, ID } from '@nestjs/graphql';
import { ArrayMaxSize, IsArray, IsUUID } from 'class-validator';

@ArgsType()
export class SegmentMembersArgs {
  @Field(() => ID)
  @IsUUID()
  segmentId: string;

  @Field(() => [ID])
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsUUID('all', { each: true })
  profileIds: string[];
}
