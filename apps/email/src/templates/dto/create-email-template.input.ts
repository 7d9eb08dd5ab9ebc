import { Field, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsEmail, IsEnum, IsNotEmpty, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import type { EmailFormat } from '../email-layout.js';
import { EmailFormatEnum } from '../email-template.model.js';
import { GmailPromotionModel } from '../gmail-promotion.model.js';

@InputType()
export class CreateEmailTemplateInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @Field(() => EmailFormatEnum, { nullable: true, description: 'Default HTML.' })
  @IsOptional()
  @IsEnum(EmailFormatEnum)
  format?: EmailFormat | null;

  @Field({ description: 'Liquid, at most 500 characters.' })
  @IsNotEmpty()
  @MaxLength(500)
  subject: string;

  @Field(() => String, { nullable: true, description: 'Liquid, at most 500 characters.' })
  @IsOptional()
  @MaxLength(500)
  preheader?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 200 characters.' })
  @IsOptional()
  @MaxLength(200)
  fromName?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  fromAddress?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  replyTo?: string | null;

  @Field({ description: 'MJML or HTML (see format) with Liquid, at most 512 KiB.' })
  @IsNotEmpty()
  @MaxLength(512 * 1024)
  htmlBody: string;

  @Field(() => String, { nullable: true, description: 'Liquid for the plain-text part, at most 512 KiB; default: derived from the HTML.' })
  @IsOptional()
  @MaxLength(512 * 1024)
  textBody?: string | null;

  @Field(() => GmailPromotionModel, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => GmailPromotionModel)
  promotion?: GmailPromotionModel | null;
}
