import { Field, InputType } from '@nestjs/graphql';
import { IsNotEmpty, IsOptional, MaxLength } from 'class-validator';

@InputType()
export class CreateEmailTemplateInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @Field({ description: 'Handlebars template, at most 500 characters.' })
  @IsNotEmpty()
  @MaxLength(500)
  subject: string;

  @Field({ description: 'Handlebars template, at most 512 KiB.' })
  @IsNotEmpty()
  @MaxLength(512 * 1024)
  htmlBody: string;

  @Field(() => String, { nullable: true, description: 'Handlebars template, at most 512 KiB.' })
  @IsOptional()
  @MaxLength(512 * 1024)
  textBody?: string | null;
}
