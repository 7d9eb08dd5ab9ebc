import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsObject, IsOptional, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { JSONScalar } from '@boomerang/platform/subgraph';
import { CallBrandingInput, CallIdentityInput } from './call-identity.input.js';

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

  @Field(() => JSONScalar, { nullable: true, description: 'Free context for the clients: a JSON object of at most 4 KB.' })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown> | null;

  @Field(() => CallBrandingInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => CallBrandingInput)
  branding?: CallBrandingInput | null;

  @Field(() => CallIdentityInput, { nullable: true, description: "The caller's masked identity; else the one in the caller's call token; else \"Caller\"." })
  @IsOptional()
  @ValidateNested()
  @Type(() => CallIdentityInput)
  callerIdentity?: CallIdentityInput | null;

  @Field(() => CallIdentityInput, { nullable: true, description: "The callee's masked identity; else the one in the callee's call token; else \"Callee\"." })
  @IsOptional()
  @ValidateNested()
  @Type(() => CallIdentityInput)
  calleeIdentity?: CallIdentityInput | null;

  @Field(() => Int, { nullable: true, description: 'Seconds the call rings before it is MISSED (1–300); default VOICE_RING_TIMEOUT_SECONDS.' })
  @IsOptional()
  @IsInt()
  ringTimeoutSeconds?: number | null;
}
