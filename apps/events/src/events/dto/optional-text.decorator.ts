import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** An optional string that, when given, is non-empty and at most `maxLength` characters (when given). */
export const OptionalText = (maxLength?: number): PropertyDecorator =>
  // Applied bottom-up like the stack @IsOptional @IsString @IsNotEmpty @MaxLength, so error messages list the rules in the same order.
  applyDecorators(...(maxLength === undefined ? [] : [MaxLength(maxLength)]), IsNotEmpty(), IsString(), IsOptional());
