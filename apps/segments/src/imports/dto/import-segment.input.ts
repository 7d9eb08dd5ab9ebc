import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsEnum, IsNotEmpty, IsOptional, IsString, IsUrl, Max, MaxLength, Min } from 'class-validator';
import { SegmentImportFormat, SegmentImportIdentityKind, SegmentImportMode } from '../segment-import.model.js';

@InputType({ description: 'A cohort file to import into a STATIC segment: give segmentId, or name to create one.' })
export class ImportSegmentInput {
  @Field(() => ID, { nullable: true, description: 'The STATIC segment to import into.' })
  @IsOptional()
  segmentId?: string | null;

  @Field(() => String, { nullable: true, description: 'Creates a STATIC segment of this name to import into.' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string | null;

  @Field(() => SegmentImportFormat)
  @IsEnum(SegmentImportFormat)
  format: SegmentImportFormat;

  @Field(() => String, { nullable: true, description: 'CSV only: the header of the column to match on (default: one named for identityKind, e.g. email, or the only column).' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  column?: string | null;

  @Field(() => SegmentImportIdentityKind, { nullable: true, description: 'CSV: what the column holds (default USER_ID). Mixpanel and Amplitude cohorts are matched by user id.' })
  @IsOptional()
  @IsEnum(SegmentImportIdentityKind)
  identityKind?: SegmentImportIdentityKind | null;

  @Field(() => SegmentImportMode, { nullable: true, description: 'Default ADD.' })
  @IsOptional()
  @IsEnum(SegmentImportMode)
  mode?: SegmentImportMode | null;

  @Field(() => String, { nullable: true, description: 'An http(s) URL segments fetches the file from itself, instead of an upload.' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'sourceUrl must be an http or https URL' })
  @MaxLength(4096)
  sourceUrl?: string | null;
}

@ArgsType()
export class SegmentImportRowsArgs {
  @Field(() => Int, { defaultValue: 100 })
  @Min(1)
  @Max(1000)
  first: number;

  @Field(() => Int, { nullable: true, description: 'The row of the last item of the previous page.' })
  @IsOptional()
  @Min(0)
  after?: number | null;
}
