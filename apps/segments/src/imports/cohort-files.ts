import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvError, parse } from 'csv-parse';
import { CohortFileError } from './cohort-file-error.js';
import { mixpanelProfiles } from './mixpanel-json.js';

/** The file formats an import reads. */
export type CohortFormat = 'csv' | 'mixpanel_cohort' | 'amplitude_cohort';
export type ImportIdentityKind = 'user_id' | 'email' | 'phone';

/**
 * One row of a cohort file: its number (as a spreadsheet shows it: the header is row 1; a JSON
 * export's profiles count from 1) and the identity it names, or why it names none.
 */
export type CohortRow = { readonly row: number; readonly value: string } | { readonly row: number; readonly value: string; readonly problem: 'empty' | 'malformed'; readonly detail: string };


/** Largest CSV record or JSON token read; anything longer is not a cohort file. */
const MAX_RECORD_BYTES = 1 << 20;
const GZIP_MAGIC = [0x1f, 0x8b];

/** The body's bytes, gunzipped when it starts with the gzip magic (whatever its headers said). */
export async function* decodedBytes(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = body[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await iterator.next();
    if (next.done) break;
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  async function* whole(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
  }
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) return yield* whole();
  const gunzip = createGunzip();
  pipeline(Readable.from(whole()), gunzip, () => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new CohortFileError(`the file is not valid gzip (${(error as Error).message})`);
    throw error;
  }
}

/** Header names tried, case-insensitively, when a CSV import names no column (a one-column file needs none). */
const DEFAULT_COLUMNS: Record<ImportIdentityKind, readonly string[]> = {
  user_id: ['user_id', 'userid', 'user id', 'external_id', 'externalid', 'id'],
  email: ['email', 'e-mail', 'email_address', 'email address'],
  phone: ['phone', 'phone_number', 'phone number', 'mobile', 'msisdn'],
};

export interface CohortFileOptions {
  readonly format: CohortFormat;
  readonly identityKind: ImportIdentityKind;
  /** CSV: the header of the column to match on. */
  readonly column: string | null;
}

/** The rows of a cohort file, streamed: nothing but the current record is held. */
export async function* cohortRows(body: AsyncIterable<Buffer>, options: CohortFileOptions): AsyncGenerator<CohortRow> {
  const bytes = decodedBytes(body);
  switch (options.format) {
    case 'csv':
      for await (const { record: _record, ...row } of csvRows(bytes, (header) => csvColumn(header, options))) yield row;
      return;
    case 'amplitude_cohort':
      return yield* amplitudeRows(bytes);
    case 'mixpanel_cohort':
      return yield* mixpanelRows(bytes);
  }
}

function headerList(header: readonly string[]): string {
  const shown = header.slice(0, 20).map((name) => JSON.stringify(name));
  return shown.join(', ') + (header.length > 20 ? `, … (${header.length} columns)` : '');
}

function columnIndex(header: readonly string[], name: string): number {
  const exact = header.indexOf(name);
  if (exact >= 0) return exact;
  return header.findIndex((candidate) => candidate.toLowerCase() === name.toLowerCase());
}

function csvColumn(header: readonly string[], options: CohortFileOptions): number {
  if (options.column !== null) {
    const index = columnIndex(header, options.column);
    if (index < 0) throw new CohortFileError(`row 1: column ${JSON.stringify(options.column)} is not in the header (${headerList(header)})`);
    return index;
  }
  if (header.length === 1) return 0;
  for (const name of DEFAULT_COLUMNS[options.identityKind]) {
    const index = columnIndex(header, name);
    if (index >= 0) return index;
  }
  throw new CohortFileError(
    `row 1: no ${options.identityKind} column in the header (${headerList(header)}); name it with input.column (tried ${DEFAULT_COLUMNS[options.identityKind].join(', ')})`,
  );
}

/**
 * CSV rows (RFC 4180; comma-separated; the first row is the header; BOM, CRLF and blank lines
 * allowed; surrounding spaces trimmed), each the value of the column `pick` chooses from the header.
 */
async function* csvRows(bytes: AsyncIterable<Buffer>, pick: (header: string[]) => number, describe = 'value'): AsyncGenerator<CohortRow & { record: string[] }> {
  const parser = parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, trim: true, max_record_size: MAX_RECORD_BYTES });
  pipeline(Readable.from(bytes), parser, () => undefined);
  let row = 0;
  let column = -1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++;
      if (row === 1) {
        column = pick(record);
        continue;
      }
      const value = record[column] ?? '';
      if (column >= record.length) yield { row, value, problem: 'malformed', detail: `the row has ${record.length} column${record.length === 1 ? '' : 's'}; the ${describe} is in column ${column + 1}`, record };
      else if (value === '') yield { row, value, problem: 'empty', detail: `no ${describe}`, record };
      else yield { row, value, record };
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // The parser reads ahead of the rows taken: its count of records parsed before the error names the row.
    const failedRow = (typeof error.records === 'number' ? error.records : row) + 1;
    const at = `row ${failedRow}${typeof error.column === 'number' ? `, column ${error.column + 1}` : ''}`;
    throw new CohortFileError(`${at}: not valid CSV (${error.code}: ${error.message})`);
  }
  if (row === 0) throw new CohortFileError('the file is empty: a CSV import needs a header row');
}

/**
 * Amplitude's cohort download (Behavioral Cohorts API, `…/cohorts/request/<id>/file`): CSV with a
 * header `"amplitude_id","user_id"` (and user properties when asked for). Members are matched by
 * `user_id`; Amplitude users without one cannot be, and are reported with their amplitude_id.
 */
async function* amplitudeRows(bytes: AsyncIterable<Buffer>): AsyncGenerator<CohortRow> {
  let amplitudeColumn = -1;
  const rows = csvRows(
    bytes,
    (header) => {
      const index = columnIndex(header, 'user_id');
      if (index < 0) throw new CohortFileError(`row 1: not an Amplitude cohort file: no "user_id" column in the header (${headerList(header)})`);
      amplitudeColumn = columnIndex(header, 'amplitude_id');
      return index;
    },
    'user_id',
  );
  for await (const { record, ...row } of rows) {
    if ('problem' in row && row.problem === 'empty' && amplitudeColumn >= 0 && record[amplitudeColumn])
      yield { ...row, detail: `no user_id (amplitude_id ${record[amplitudeColumn]}): Amplitude users without a user id cannot be matched` };
    else yield row;
  }
}

/**
 * Mixpanel's cohort members: the Query API's profiles export (`/engage` with `filter_by_cohort`:
 * pages `{ page, page_size, results: [{ $distinct_id, $properties }], session_id, status, total }`,
 * one or several after another, or the profiles alone, as an array or one per line) or the Users
 * report's CSV export (a `$distinct_id` column). Matched by `$distinct_id` as our user id.
 */
async function* mixpanelRows(bytes: AsyncIterable<Buffer>): AsyncGenerator<CohortRow> {
  const iterator = bytes[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let first: number | undefined;
  while (first === undefined) {
    const next = await iterator.next();
    if (next.done) break;
    seen.push(next.value);
    first = [...next.value.subarray(0, 4096)].find((byte, index) => !(byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || (index < 3 && seen.length === 1 && [0xef, 0xbb, 0xbf][index] === byte)));
  }
  async function* whole(): AsyncGenerator<Buffer> {
    yield* seen;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  if (first === undefined) throw new CohortFileError('the file is empty');
  if (first === 0x7b || first === 0x5b) {
    for await (const profile of mixpanelProfiles(whole(), MAX_RECORD_BYTES)) {
      if (profile.distinctId === null) yield { row: profile.index, value: '', problem: 'malformed', detail: profile.problem ?? 'no $distinct_id' };
      else if (profile.distinctId === '') yield { row: profile.index, value: '', problem: 'empty', detail: 'empty $distinct_id' };
      else yield { row: profile.index, value: profile.distinctId };
    }
    return;
  }
  const rows = csvRows(
    whole(),
    (header) => {
      const index = columnIndex(header, '$distinct_id');
      const fallback = index >= 0 ? index : columnIndex(header, 'distinct_id');
      if (fallback < 0) throw new CohortFileError(`row 1: not a Mixpanel cohort export: no "$distinct_id" column in the header (${headerList(header)})`);
      return fallback;
    },
    '$distinct_id',
  );
  for await (const { record: _record, ...row } of rows) yield row;
}
