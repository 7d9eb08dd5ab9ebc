import { Field, ID, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, IsUUID } from 'class-validator';

@InputType()
export class ReportCallClientInput {
  @Field(() => ID) @IsUUID() callId: string;

  @Field(() => ID, { description: 'The participant whose client reports.' }) @IsUUID() profileId: string;

  @Field({ description: 'Machine-readable, e.g. "microphone-denied": 1–64 letters, digits or _ . : -' }) @IsString() kind: string;

  @Field(() => String, { nullable: true, description: 'At most 500 characters.' }) @IsOptional() @IsString() detail?: string | null;
}
