import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsNotEmpty, MaxLength } from 'class-validator';
import { ApiKeyKind } from './api-key.model.js';

@InputType()
export class CreateApiKeyInput {
  @Field(() => ApiKeyKind)
  @IsEnum(ApiKeyKind)
  kind: ApiKeyKind;

  @Field()
  @IsNotEmpty()
  @MaxLength(120)
  name: string;
}
