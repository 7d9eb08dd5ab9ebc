import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { SegmentKind } from '../segment.model.js';
import { JSONScalar } from '@boomerang/platform/subgraph';

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

  @Field(() => JSONScalar, { nullable: true, description: 'Required for DYNAMIC segments: the rule tree, a JSON object.' })
  @ValidateIf((input: CreateSegmentInput) => input.kind === SegmentKind.DYNAMIC || input.rules != null)
  @IsObject({ message: 'rules must be a JSON object' })
  rules?: Record<string, unknown> | null;
}
