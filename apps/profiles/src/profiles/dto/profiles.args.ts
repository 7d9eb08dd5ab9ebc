import { ArgsType, Field, InputType, Int } from '@nestjs/graphql';
import { IsBoolean, IsObject, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { JSONScalar } from '@boomerang/platform/subgraph';

@InputType()
export class ProfileFilter {
  @Field(() => JSONScalar, { nullable: true, description: 'Each given top-level property equals the given JSON value.' })
  @IsOptional()
  @IsObject()
  propertyEquals?: Record<string, unknown> | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only profiles with a user id; false: only anonymous ones.' })
  @IsOptional()
  @IsBoolean()
  hasUserId?: boolean | null;
}

@ArgsType()
export class ProfilesArgs {
  @Field(() => Int, { defaultValue: 20 })
  @Min(1)
  @Max(100)
  first: number;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page.' })
  @IsOptional()
  @IsString()
  after?: string | null;

  @Field(() => ProfileFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => ProfileFilter)
  filter?: ProfileFilter | null;
}
