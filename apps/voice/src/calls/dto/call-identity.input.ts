import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString } from 'class-validator';

/** Lengths, URL and colour rules are the domain's (call-input.ts), shared with signalling. */
@InputType({ description: 'How a participant is shown to the other side: display name and role label (≤ 64 characters each), avatar URL.' })
export class CallIdentityInput {
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() displayName?: string | null;
  @Field(() => String, { nullable: true, description: 'e.g. "Delivery partner".' }) @IsOptional() @IsString() role?: string | null;
  @Field(() => String, { nullable: true, description: 'An http(s) URL.' }) @IsOptional() @IsString() avatarUrl?: string | null;
}

@InputType({ description: 'Branding shown on both clients; colours as #rrggbb.' })
export class CallBrandingInput {
  @Field(() => String, { nullable: true, description: 'At most 64 characters.' }) @IsOptional() @IsString() brandName?: string | null;
  @Field(() => String, { nullable: true, description: 'An http(s) URL.' }) @IsOptional() @IsString() logoUrl?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() backgroundColor?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() fontColor?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() buttonColor?: string | null;
}
