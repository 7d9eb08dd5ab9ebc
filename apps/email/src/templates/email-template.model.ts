import { Directive, Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'An email whose subject and bodies are Handlebars templates.' })
@Directive('@key(fields: "id")')
export class EmailTemplate {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field({ description: 'Handlebars template for the subject line.' }) subject: string;
  @Field({ description: 'Handlebars template for the HTML body; {{values}} are HTML-escaped.' }) htmlBody: string;
  @Field(() => String, { nullable: true, description: 'Handlebars template for the plain-text body.' }) textBody: string | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@ObjectType({ description: 'A template rendered with data.' })
export class RenderedEmail {
  @Field({ description: 'One line: line breaks from the data become spaces.' }) subject: string;
  @Field({ description: 'HTML body, with every {{value}} HTML-escaped.' }) html: string;
  @Field(() => String, { nullable: true, description: 'Plain-text body, when the template has one.' }) text: string | null;
}
