import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { isJsonObject } from '@boomerang/platform/subgraph';
import { eventTimeRuleBroken } from '../event-time.js';
import type { IngestEventCommand } from '../ingest-event.command.js';
import { IngestionError, IngestionErrorCode } from '../ingestion.errors.js';
import { fieldNestedTooDeep, fieldPath, jsonBytesAtMost, NESTING_RULE } from '../json-limits.js';
import { MAX_MESSAGE_BYTES } from '../segment/segment-message.js';

/** CleverTap's upload API limits: 1,000 records and 1 MB per request. */
const CLEVERTAP_MAX_RECORDS = 1000;
export const CLEVERTAP_MAX_BODY_BYTES = 1024 * 1024;

/** The operators a profile property may carry instead of a value (applied by profiles on identify). */
const PROFILE_OPERATORS = ['$add', '$remove', '$incr', '$decr', '$delete'] as const;
/** Subscription flags, passed through as traits (profiles turns them into consent per channel). */
const CONSENT_FLAGS = new Set(['MSG-email', 'MSG-sms', 'MSG-push', 'MSG-dndPhone']);
/** CleverTap's reserved contact fields, renamed to the traits profiles keeps in columns. */
const CONTACT_FIELDS: Record<string, string> = { Name: 'name', Email: 'email', Phone: 'phone' };

const DATE_VALUE = /^\$D_(\d{1,11})$/;
/** JSON.parse makes it an ordinary key, but assigning it would set an object's prototype: dropped, as Segment messages drop it. */
const PROTOTYPE_KEY = '__proto__';

/** A record left out of the upload, as CleverTap reports one (plus its index in `d`). */
export interface UnprocessedRecord {
  index: number;
  status: 'fail';
  code: 400;
  /** `<field>: <rule>`, the field relative to the record (`evtData.amount`). */
  error: string;
  record: unknown;
}

export interface CleverTapUpload {
  /** One command per valid record, in record order. */
  commands: IngestEventCommand[];
  unprocessed: UnprocessedRecord[];
}

/** A record broke a rule: `field: rule`; `echoed` is what the answer shows of the record, when not the record itself. */
class RecordError extends Error {
  constructor(
    message: string,
    readonly echoed?: unknown,
  ) {
    super(message);
  }
}

/** The fields that identify a record, echoed for one too deep to serialise. */
const IDENTIFYING_FIELDS = ['type', 'identity', 'objectId', 'ts', 'evtName'];

/**
 * Turns a CleverTap `POST /1/upload` body (`{ d: [...] }`) into commands. The envelope is
 * all-or-nothing (400); records are judged one by one, and the bad ones are reported, not fatal.
 * messageIds are derived from the record, so a retried upload (with `ts`) duplicates nothing.
 */
export function clevertapCommands(accountId: string, body: unknown, receivedAt: Date): CleverTapUpload {
  if (!isJsonObject(body) || !Array.isArray(body.d)) {
    throw new IngestionError(IngestionErrorCode.InvalidRequest, 'd: must be an array of records', 'd');
  }
  if (body.d.length > CLEVERTAP_MAX_RECORDS) {
    throw new IngestionError(IngestionErrorCode.InvalidRequest, `d: must have at most ${CLEVERTAP_MAX_RECORDS} records`, 'd');
  }
  const commands: IngestEventCommand[] = [];
  const unprocessed: UnprocessedRecord[] = [];
  /** Index in `d` of the record each messageId came from: a record equal to an earlier one would be stored once. */
  const recordOf = new Map<string, number>();
  body.d.forEach((record: unknown, index) => {
    try {
      const command = toCommand(accountId, record, receivedAt);
      const first = recordOf.get(command.messageId);
      if (first !== undefined) throw repeatedRecord(record, first);
      recordOf.set(command.messageId, index);
      commands.push(command);
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      unprocessed.push({ index, status: 'fail', code: 400, error: error.message, record: error.echoed ?? record });
    }
  });
  return { commands, unprocessed };
}

/** Records without `ts` are stamped with the time of receipt, so equal ones in one upload are one event. */
function repeatedRecord(record: unknown, first: number): RecordError {
  return (record as { ts?: unknown }).ts == null
    ? new RecordError(`ts: is required to tell this record from record ${first} of the upload, which is the same (both would be stamped with the time of receipt)`)
    : new RecordError(`record: repeats record ${first} of the upload (same type, identity, objectId, ts and data), which is stored once`);
}

function toCommand(accountId: string, record: unknown, receivedAt: Date): IngestEventCommand {
  if (!isJsonObject(record)) throw new RecordError('record: must be a JSON object');
  assertRecordSize(record);
  const { type } = record;
  if (type !== 'event' && type !== 'profile') throw new RecordError('type: must be event or profile');
  const userId = identityOf(record.identity, 'identity');
  const anonymousId = identityOf(record.objectId, 'objectId');
  if (!userId && !anonymousId) throw new RecordError('identity: identity or objectId is required');
  const timestamp = timestampOf(record.ts, receivedAt);
  const base = { profileId: null, userId, anonymousId, context: { library: { name: 'clevertap-upload' } }, timestamp, sentAt: null, receivedAt, previousId: null };
  const seconds = Math.floor(timestamp.getTime() / 1000);

  if (type === 'event') {
    const name = record.evtName;
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw new RecordError('evtName: must be a string of 1 to 200 characters');
    if (record.evtData !== undefined && !isJsonObject(record.evtData)) throw new RecordError('evtData: must be a JSON object');
    const properties = convertDates(record.evtData ?? {});
    const messageId = messageIdOf([accountId, userId, anonymousId, type, seconds, name, record.evtData ?? {}]);
    return { ...base, messageId, type: 'track', name, properties, traits: null };
  }
  if (!isJsonObject(record.profileData)) throw new RecordError('profileData: must be a JSON object');
  const traits = profileTraits(record.profileData);
  const messageId = messageIdOf([accountId, userId, anonymousId, type, seconds, record.profileData]);
  return { ...base, messageId, type: 'identify', name: 'identify', properties: traits, traits };
}

/** At most 32 KB as JSON, and nested no deeper than MAX_NESTING_DEPTH (checked first: JSON.stringify recurses). */
function assertRecordSize(record: Record<string, unknown>): void {
  const estimate = jsonBytesAtMost(record, 0);
  if (estimate <= MAX_MESSAGE_BYTES) return;
  const tooDeep = estimate === Infinity ? fieldNestedTooDeep(record, '', 0) : undefined;
  if (tooDeep !== undefined) {
    const scalar = (value: unknown) => value !== undefined && (typeof value !== 'object' || value === null);
    const identifying = Object.fromEntries(IDENTIFYING_FIELDS.filter((key) => scalar(record[key])).map((key) => [key, record[key]]));
    throw new RecordError(`${tooDeep}: ${NESTING_RULE}`, identifying);
  }
  if (Buffer.byteLength(JSON.stringify(record)) > MAX_MESSAGE_BYTES) throw new RecordError('record: must be at most 32 KB');
}

function identityOf(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value.length > 255) throw new RecordError(`${field}: must be a string of at most 255 characters`);
  return value;
}

function timestampOf(ts: unknown, receivedAt: Date): Date {
  if (ts === undefined || ts === null) return receivedAt;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < 0) throw new RecordError('ts: must be a whole number of epoch seconds');
  const broken = eventTimeRuleBroken(ts * 1000, receivedAt);
  if (broken) throw new RecordError(`ts: ${broken} (ts counts seconds since 1970, not milliseconds)`);
  return new Date(ts * 1000);
}

/** Profile data as identify traits: dates converted, operators checked, contact fields renamed. */
function profileTraits(profileData: Record<string, unknown>): Record<string, unknown> {
  const traits: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(profileData)) {
    if (key === PROTOTYPE_KEY) continue;
    const field = fieldPath('profileData', key);
    if (CONSENT_FLAGS.has(key) && typeof value !== 'boolean') throw new RecordError(`${field}: must be a boolean`);
    if (isJsonObject(value) && Object.keys(value).some((name) => name.startsWith('$'))) checkOperator(field, value);
    const trait = CONTACT_FIELDS[key] && !(CONTACT_FIELDS[key] in profileData) ? CONTACT_FIELDS[key] : key;
    traits[trait] = dateOf(value);
  }
  return traits;
}

/** `{ "$incr": 5 }`: exactly one known operator with an operand of its kind. */
function checkOperator(field: string, value: Record<string, unknown>): void {
  const keys = Object.keys(value);
  const operator = keys[0] as (typeof PROFILE_OPERATORS)[number];
  if (keys.length !== 1 || !PROFILE_OPERATORS.includes(operator)) {
    throw new RecordError(`${field}: must be a value or one operator of ${PROFILE_OPERATORS.join(', ')}`);
  }
  const operand = value[operator];
  const scalar = (item: unknown) => typeof item === 'string' || (typeof item === 'number' && Number.isFinite(item));
  switch (operator) {
    case '$add':
    case '$remove':
      if (!(scalar(operand) || (Array.isArray(operand) && operand.length > 0 && operand.every(scalar)))) {
        throw new RecordError(`${field}: ${operator} takes a string, a number or a non-empty array of them`);
      }
      return;
    case '$incr':
    case '$decr':
      if (typeof operand !== 'number' || !Number.isFinite(operand)) throw new RecordError(`${field}: ${operator} takes a number`);
      return;
    case '$delete':
      if (operand !== true) throw new RecordError(`${field}: $delete takes true`);
      return;
  }
}

function convertDates(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).flatMap(([key, value]) => (key === PROTOTYPE_KEY ? [] : [[key, dateOf(value)]])));
}

/** CleverTap dates (`"$D_1700000000"`, epoch seconds) become ISO-8601 strings. */
function dateOf(value: unknown): unknown {
  const match = typeof value === 'string' ? DATE_VALUE.exec(value) : null;
  return match ? new Date(Number(match[1]) * 1000).toISOString() : value;
}

/** The same record always yields the same id (key order does not matter). */
function messageIdOf(parts: unknown[]): string {
  return `ct_${createHash('sha256').update(canonicalJson(parts)).digest('base64url')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
