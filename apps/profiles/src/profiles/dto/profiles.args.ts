import { ArgsType, Field, InputType, registerEnumType } from '@nestjs/graphql';
import { Allow, ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { ConnectionArgs, JSONScalar } from '@boomerang/platform/subgraph';

export enum PropertyComparison {
  EQUALS = 'EQUALS',
  NOT_EQUALS = 'NOT_EQUALS',
  GREATER_THAN = 'GREATER_THAN',
  GREATER_OR_EQUAL = 'GREATER_OR_EQUAL',
  LESS_THAN = 'LESS_THAN',
  LESS_OR_EQUAL = 'LESS_OR_EQUAL',
  BEFORE = 'BEFORE',
  AFTER = 'AFTER',
  CONTAINS = 'CONTAINS',
}
registerEnumType(PropertyComparison, {
  name: 'PropertyComparison',
  description:
    'By property type: STRING and BOOLEAN: EQUALS, NOT_EQUALS; NUMBER: those and GREATER_THAN, GREATER_OR_EQUAL, LESS_THAN, LESS_OR_EQUAL; DATE: EQUALS, NOT_EQUALS, BEFORE, AFTER; LIST: CONTAINS. NOT_EQUALS matches profiles that have the property with another value.',
});

@InputType({ description: 'A condition on one typed property (see Query.profileProperties).' })
export class PropertyCondition {
  @Field()
  @IsString()
  @Length(1, 200)
  name: string;

  @Field(() => PropertyComparison)
  @IsEnum(PropertyComparison)
  comparison: PropertyComparison;

  @Field(() => JSONScalar, { description: "Of the property's type: a number, a boolean, a string, an ISO 8601 date or $D_<epoch> (DATE), one item (CONTAINS)." })
  @Allow()
  value: unknown;
}

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

  @Field(() => [PropertyCondition], { nullable: true, description: 'All must hold (at most 20).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => PropertyCondition)
  properties?: PropertyCondition[] | null;
}

@ArgsType()
export class ProfilesArgs extends ConnectionArgs {
  @Field(() => ProfileFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => ProfileFilter)
  filter?: ProfileFilter | null;
}
