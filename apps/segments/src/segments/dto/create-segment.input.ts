import { ArgsType, Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { SegmentKind } from '../segment.model.js';
import { SegmentRuleInput } from './segment-rule.input.js';

@InputType()
export class CreateSegmentInput {
  @Field()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @Field(() => SegmentKind)
  @IsEnum(SegmentKind)
  kind: SegmentKind;

  // Checked node by node by validateRule (errors name the path), not by class-validator.
  @Field(() => SegmentRuleInput, { nullable: true, description: 'Required for DYNAMIC segments, refused for STATIC: the rule tree.' })
  @IsOptional()
  rules?: SegmentRuleInput | null;
}

@InputType({ description: 'What to change; new rules make a new version, evaluated over all history.' })
export class UpdateSegmentInput {
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @Field(() => SegmentRuleInput, { nullable: true })
  @IsOptional()
  rules?: SegmentRuleInput | null;
}

@ArgsType()
export class EstimateSegmentArgs {
  // Checked node by node by validateRule, not by class-validator (which would strip its fields).
  @Field(() => SegmentRuleInput)
  @IsObject()
  rules: SegmentRuleInput;
}
