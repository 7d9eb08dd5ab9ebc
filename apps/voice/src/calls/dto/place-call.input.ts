import { Field, ID, InputType } from '@nestjs/graphql';
import { IsNotEmpty, IsOptional, IsUUID, MaxLength } from 'class-validator';

@InputType()
export class PlaceCallInput {
  @Field(() => ID)
  @IsUUID()
  callerProfileId: string;

  @Field(() => ID, { description: 'Must differ from the caller.' })
  @IsUUID()
  calleeProfileId: string;

  @Field({ description: 'Shown to the callee, e.g. "Your delivery is outside"; at most 64 characters.' })
  @IsNotEmpty()
  @MaxLength(64)
  reason: string;

  @Field(() => String, { nullable: true, description: "The caller's own reference (e.g. an order id); at most 128 characters." })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(128)
  reference?: string | null;
}
