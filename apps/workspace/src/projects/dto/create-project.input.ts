import { Field, InputType } from '@nestjs/graphql';
import { IsNotEmpty, IsOptional, IsTimeZone, MaxLength } from 'class-validator';

@InputType()
export class CreateProjectInput {
  @Field()
  @IsNotEmpty()
  @MaxLength(120)
  name: string;

  @Field({ nullable: true, description: 'IANA time zone, default UTC.' })
  @IsOptional()
  @IsTimeZone()
  timeZone?: string;
}
