import { Field, InputType, Int, ObjectType } from '@nestjs/graphql';
import { IsBoolean, IsEmail, IsInt, IsOptional, Max, MaxLength, Min } from 'class-validator';

@ObjectType({ description: "How the project sends email. The SMTP URL and its credentials are stored encrypted and never returned." })
export class SenderSettings {
  @Field({ description: 'Whether an SMTP URL is set (else the platform default, e.g. the dev mail catcher).' }) smtpConfigured: boolean;
  @Field(() => String, { nullable: true, description: "The SMTP server's host, to show which one is set." }) smtpHost: string | null;
  @Field() fromAddress: string;
  @Field(() => String, { nullable: true }) fromName: string | null;
  @Field(() => String, { nullable: true }) replyTo: string | null;
  @Field(() => Int, { description: 'SMTP connections kept open (the pool).' }) maxConnections: number;
  @Field({ description: 'Send only to profiles whose email consent is stated (emailSubscribed true), not merely not withdrawn.' }) consentRequired: boolean;
  @Field(() => Date, { nullable: true }) updatedAt: Date | null;
}

@InputType()
export class SenderSettingsInput {
  @Field(() => String, {
    nullable: true,
    description: 'smtp:// or smtps:// URL with credentials (smtp://user:password@host:587). Omitted: unchanged; null: removed.',
  })
  @IsOptional()
  @MaxLength(2048)
  smtpUrl?: string | null;

  @Field() @IsEmail() @MaxLength(254) fromAddress: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) fromName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsEmail() @MaxLength(254) replyTo?: string | null;
  @Field(() => Int, { nullable: true, description: '1 to 100; default 5.' }) @IsOptional() @IsInt() @Min(1) @Max(100) maxConnections?: number | null;
  @Field(() => Boolean, { nullable: true, description: 'Default false.' }) @IsOptional() @IsBoolean() consentRequired?: boolean | null;
}
