import { Directive, Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { EMAIL_FORMATS, type EmailFormat } from './email-layout.js';
import { GmailPromotionModel } from './gmail-promotion.model.js';

export const EmailFormatEnum = Object.fromEntries(EMAIL_FORMATS.map((format) => [format, format])) as { [K in EmailFormat]: K };
registerEnumType(EmailFormatEnum, { name: 'EmailFormat', description: 'How a body is written: MJML (compiled to responsive HTML) or HTML.' });

@ObjectType({ description: 'One version of a template. Versions are never changed: an edit adds one, so what was sent stays readable.' })
export class EmailTemplateVersion {
  @Field(() => Int) version: number;
  @Field(() => EmailFormatEnum) format: EmailFormat;
  @Field({ description: 'Liquid; one line once rendered.' }) subject: string;
  @Field(() => String, { nullable: true, description: 'Liquid; the hidden line inbox lists show after the subject.' }) preheader: string | null;
  @Field(() => String, { nullable: true }) fromName: string | null;
  @Field(() => String, { nullable: true, description: "Default: the project's sender settings." }) fromAddress: string | null;
  @Field(() => String, { nullable: true }) replyTo: string | null;
  @Field({ description: 'The body as written: MJML or HTML, with Liquid ({{ value }} is HTML-escaped).' }) htmlBody: string;
  @Field(() => String, { nullable: true, description: 'Liquid for the plain-text part; null: derived from the HTML.' }) textBody: string | null;
  @Field(() => GmailPromotionModel, { nullable: true }) promotion: GmailPromotionModel | null;
  @Field() createdAt: Date;
}

@ObjectType({ description: 'An email template: its current version\'s content, and every version.' })
@Directive('@key(fields: "id")')
export class EmailTemplate extends EmailTemplateVersion {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field({ description: 'When the template was last edited.' }) updatedAt: Date;
}

@ObjectType({ description: 'A template rendered for one recipient.' })
export class RenderedEmail {
  @Field({ description: 'One line: line breaks from the data become spaces.' }) subject: string;
  @Field(() => String, { nullable: true }) preheader: string | null;
  @Field({ description: 'HTML body with CSS inlined, every {{ value }} HTML-escaped.' }) html: string;
  @Field({ description: 'Plain-text part.' }) text: string;
}
