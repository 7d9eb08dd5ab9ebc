import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Segment } from '../segments/segment.model.js';

export enum SegmentImportFormat {
  CSV = 'csv',
  MIXPANEL_COHORT = 'mixpanel_cohort',
  AMPLITUDE_COHORT = 'amplitude_cohort',
}
registerEnumType(SegmentImportFormat, {
  name: 'SegmentImportFormat',
  description:
    "CSV: a header row, then one row per member (comma-separated, gzip accepted). MIXPANEL_COHORT: Mixpanel's cohort members (Query API engage pages, JSON, or the Users CSV export), matched by $distinct_id. AMPLITUDE_COHORT: Amplitude's cohort download (CSV amplitude_id,user_id), matched by user_id.",
});

export enum SegmentImportIdentityKind {
  USER_ID = 'user_id',
  EMAIL = 'email',
  PHONE = 'phone',
}
registerEnumType(SegmentImportIdentityKind, { name: 'SegmentImportIdentityKind', description: "What a CSV file's column holds: the product's user ids, emails or phone numbers." });

export enum SegmentImportMode {
  ADD = 'add',
  REPLACE = 'replace',
}
registerEnumType(SegmentImportMode, {
  name: 'SegmentImportMode',
  description: 'ADD: the matched profiles join the segment. REPLACE: they join, and once the whole file is read the members it did not name exit.',
});

export enum SegmentImportStatus {
  PENDING = 'pending',
  RUNNING = 'running',
  DONE = 'done',
  FAILED = 'failed',
}
registerEnumType(SegmentImportStatus, { name: 'SegmentImportStatus', description: 'PENDING: waiting for its file. RUNNING. DONE. FAILED: see `error`.' });

export enum SegmentImportRowReason {
  EMPTY = 'empty',
  MALFORMED = 'malformed',
  UNKNOWN_IDENTITY = 'unknown_identity',
  PROFILE_NOT_KNOWN = 'profile_not_known',
}
registerEnumType(SegmentImportRowReason, {
  name: 'SegmentImportRowReason',
  description:
    'EMPTY: no value in the row. MALFORMED: not a valid identity of its kind (or not a row of the format). UNKNOWN_IDENTITY: no profile of the project has it. PROFILE_NOT_KNOWN: its profile is erased, merged, or not yet known to segments.',
});

@ObjectType({ description: 'A row of an import that matched no member.' })
export class SegmentImportRow {
  @Field(() => Int, { description: 'The row in the file: CSV records count from the header (row 1; blank lines not counted), JSON profiles from 1.' })
  row: number;
  @Field({ description: 'The value read (empty when none).' }) value: string;
  @Field(() => SegmentImportRowReason) reason: SegmentImportRowReason;
  @Field(() => String, { nullable: true }) detail: string | null;
}

@ObjectType({ description: 'How many rows matched nobody, by reason.' })
export class SegmentImportUnmatchedCounts {
  @Field(() => Int) empty: number;
  @Field(() => Int) malformed: number;
  @Field(() => Int) unknownIdentity: number;
  @Field(() => Int) profileNotKnown: number;
}

@ObjectType({ description: 'An import of a cohort file into a STATIC segment, and how it went.' })
export class SegmentImport {
  @Field(() => ID) id: string;
  @Field(() => Segment) segment: Segment;
  @Field(() => SegmentImportFormat) format: SegmentImportFormat;
  @Field(() => SegmentImportIdentityKind) identityKind: SegmentImportIdentityKind;
  @Field(() => String, { nullable: true, description: 'CSV: the header matched on (null: found by identityKind, or the only column).' }) column: string | null;
  @Field(() => SegmentImportMode) mode: SegmentImportMode;
  @Field(() => SegmentImportStatus) status: SegmentImportStatus;
  @Field(() => String, {
    nullable: true,
    description: 'Where to PUT (or POST) the file, once, while PENDING and until uploadUrlExpiresAt; the URL is the only credential needed. Null when the import reads sourceUrl.',
  })
  uploadUrl: string | null;
  @Field(() => Date, { nullable: true }) uploadUrlExpiresAt: Date | null;
  @Field(() => String, { nullable: true, description: 'The URL segments fetches the file from, without its query string.' }) sourceUrl: string | null;
  @Field(() => Int, { description: 'Data rows read so far.' }) rowsRead: number;
  @Field(() => Int, { description: 'Rows that named a profile of the project (repeats counted).' }) matched: number;
  @Field(() => Int, { description: 'Rows that named none (every one counted; `unmatchedRows` lists the first ones).' }) unmatched: number;
  @Field(() => SegmentImportUnmatchedCounts) unmatchedByReason: SegmentImportUnmatchedCounts;
  @Field(() => Int, { description: 'Profiles that joined the segment.' }) added: number;
  @Field(() => Int, { description: 'Members that left it (REPLACE).' }) removed: number;
  @Field(() => String, { nullable: true, description: 'Why it FAILED (a bad file names its row and column).' }) error: string | null;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) startedAt: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt: Date | null;
}
