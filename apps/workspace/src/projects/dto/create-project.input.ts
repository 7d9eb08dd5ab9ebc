import { Field, InputType } from '@nestjs/graphql';
import { IsBoolean, IsNotEmpty, IsOptional, IsTimeZone, MaxLength } from 'class-validator';

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

/** Only the given fields change. */
@InputType()
export class UpdateProjectInput {
  @Field({ nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(120)
  name?: string;

  @Field({ nullable: true, description: 'IANA time zone.' })
  @IsOptional()
  @IsTimeZone()
  timeZone?: string;

  @Field({ nullable: true, description: 'Require user tokens for publishable-key calls that name a user id (see Project.requireUserVerification).' })
  @IsOptional()
  @IsBoolean()
  requireUserVerification?: boolean;
}
