import { InputType, PartialType } from '@nestjs/graphql';
import { CreateEmailTemplateInput } from './create-email-template.input.js';

/** The fields to change; the others are taken from the current version. null clears an optional field. */
@InputType()
export class UpdateEmailTemplateInput extends PartialType(CreateEmailTemplateInput) {}
