import { Buffer } from 'node:buffer';
import { EVENT_TYPES } from '@boomerang/contracts';
import { isJsonObject } from '@boomerang/platform/subgraph';
import type { EventType } from '../../events/event.entity.js';
import { EARLIEST_INSTANT, eventTimeRuleBroken, INSTANT_RANGE_RULE, LATEST_INSTANT } from '../event-time.js';
import type { IngestEventCommand } from '../ingest-event.command.js';
import { IngestionError, IngestionErrorCode } from '../ingestion.errors.js';
import { fieldNestedTooDeep, jsonBytesAtMost, NESTING_RULE, nestsTooDeep } from '../json-limits.js';

/** The Segment tracking API's limits. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;

const MAX_IDENTITY_LENGTH = 255;
const MAX_LABEL_LENGTH = 200;

type JsonObject = Record<string, unknown>;

/** The fields every call may carry; date-times as epoch milliseconds. */
interface CommonFields {
  messageId: string | undefined;
  userId: string | null | undefined;
  anonymousId: string | null | undefined;
  timestamp: number | undefined;
  originalTimestamp: number | undefined;
  sentAt: number | undefined;
  context: JsonObject | undefined;
}

/** The fields of one call type. */
type CallFields =
  | { type: 'track'; event: string; properties: JsonObject | undefined }
  | { type: 'identify'; traits: JsonObject | undefined }
  | { type: 'page' | 'screen'; name: string | null | undefined; category: string | null | undefined; properties: JsonObject | undefined }
  | { type: 'group'; groupId: string; traits: JsonObject | undefined }
  | { type: 'alias'; previousId: string };

/** A valid message's known fields; whatever else it carried is dropped. */
interface SegmentMessage {
  common: CommonFields;
  call: CallFields;
}

interface BatchEnvelope {
  batch: unknown[];
  sentAt: number | undefined;
  context: JsonObject | undefined;
}

/** Where a message sits in the request: its index in `batch`, or null for a single call's body. */
type MessageIndex = number | null;

function fieldOf(index: MessageIndex, key?: string): string {
  if (index === null) return key ?? 'body';
  return key === undefined ? `batch[${index}]` : `batch[${index}].${key}`;
}

function invalid(field: string, rule: string): IngestionError {
  return new IngestionError(IngestionErrorCode.InvalidRequest, `${field}: ${rule}`, field);
}

type Presence = 'required' | 'optional' | 'nullish';

/** Length in Unicode code points (a surrogate pair counts once), as zod measured strings. */
function codePoints(value: string): number {
  let count = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    if ((value.charCodeAt(i) & 0xfc00) === 0xd800 && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

function text(fields: JsonObject, key: string, index: MessageIndex, presence: 'required', minLength: number, maxLength: number): string;
function text(fields: JsonObject, key: string, index: MessageIndex, presence: 'optional', minLength: number, maxLength: number): string | undefined;
function text(fields: JsonObject, key: string, index: MessageIndex, presence: 'nullish', minLength: number, maxLength: number): string | null | undefined;
function text(
  fields: JsonObject,
  key: string,
  index: MessageIndex,
  presence: Presence,
  minLength: number,
  maxLength: number,
): string | null | undefined {
  const value = fields[key];
  if (typeof value === 'string') {
    if (value.length < minLength) throw invalid(fieldOf(index, key), 'must not be empty');
    if (value.length > maxLength && codePoints(value) > maxLength) {
      throw invalid(fieldOf(index, key), `must be at most ${maxLength} characters`);
    }
    return value;
  }
  if (value === undefined && presence !== 'required') return undefined;
  if (value === null && presence === 'nullish') return null;
  throw invalid(fieldOf(index, key), value === undefined ? 'is required' : 'must be a string');
}

/** RFC 3339 with seconds and a zone (`Z` or `±hh:mm`), as zod's `iso.datetime({ offset: true })`. */
const INSTANT = /^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

function digitsAt(value: string, start: number, count: number): number {
  let number = 0;
  for (let i = start; i < start + count; i++) number = number * 10 + value.charCodeAt(i) - 48;
  return number;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isInstant(value: string): boolean {
  if (!INSTANT.test(value)) return false;
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(digitsAt(value, 0, 4), month);
}

/** A date-time field as epoch milliseconds, within what PostgreSQL stores and a sender's clock can sanely say. */
function instant(fields: JsonObject, key: string, index: MessageIndex): number | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isInstant(value)) {
    throw invalid(fieldOf(index, key), 'must be an ISO 8601 date-time with seconds and a time zone, e.g. 2024-05-01T12:00:00.000Z');
  }
  const time = Date.parse(value);
  if (!(time >= EARLIEST_INSTANT && time <= LATEST_INSTANT)) throw invalid(fieldOf(index, key), INSTANT_RANGE_RULE);
  return time;
}

function jsonObject(fields: JsonObject, key: string, index: MessageIndex): JsonObject | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (!isJsonObject(value)) throw invalid(fieldOf(index, key), 'must be a JSON object');
  // JSON.parse makes `"__proto__"` an ordinary key; the zod schema this replaces dropped it.
  if (!Object.hasOwn(value, '__proto__')) return value;
  const copy: JsonObject = {};
  for (const name of Object.keys(value)) if (name !== '__proto__') copy[name] = value[name];
  return copy;
}

/** `,"type":"identify"`: what naming the call's type in a single call's body may add to it. */
const MAX_TYPE_ENTRY_BYTES = 18;

/** Nothing recursive (JSON.stringify included) may run on a message before this check; `path` names `value`, at `depth`. */
function assertNesting(value: JsonObject, path: string, depth: number): void {
  const field = fieldNestedTooDeep(value, path, depth);
  if (field !== undefined) throw invalid(field, NESTING_RULE);
}

/** The prefix of a message's fields: `batch[3]`, or none in a single call's body. */
function messagePath(index: MessageIndex): string {
  return index === null ? '' : fieldOf(index);
}

/**
 * The Segment limit on one message, as serialised (with the call's type for a single call), and
 * the nesting limit: the size estimate walks the message anyway and is Infinity past it.
 */
function assertMessageSize(raw: JsonObject, index: MessageIndex, call: EventType | undefined): void {
  const estimate = jsonBytesAtMost(raw, 0);
  if (estimate + (call ? MAX_TYPE_ENTRY_BYTES : 0) <= MAX_MESSAGE_BYTES) return;
  if (estimate === Infinity) assertNesting(raw, messagePath(index), 0);
  const serialised = JSON.stringify(call ? { ...raw, type: call } : raw);
  if (Buffer.byteLength(serialised) <= MAX_MESSAGE_BYTES) return;
  const field = fieldOf(index);
  throw new IngestionError(IngestionErrorCode.TooLarge, `${field}: a message must be at most 32 KB`, field);
}

/**
 * Re-serialising parsed JSON makes it at most 21/4 as long (`1e20` comes back as
 * `100000000000000000000`), so in a body this small no message can pass the limit.
 */
function bodyHoldsOnlySmallMessages(bodyBytes: number | undefined): boolean {
  return bodyBytes !== undefined && bodyBytes * 21 <= (MAX_MESSAGE_BYTES - MAX_TYPE_ENTRY_BYTES) * 4;
}

function isEventType(value: unknown): value is EventType {
  return EVENT_TYPES.includes(value as EventType);
}

/**
 * Checks one message's fields in a fixed order, so the first broken rule is the one reported.
 * `call` is the endpoint's type for a single call, which wins over the body's.
 */
function parseMessage(raw: unknown, index: MessageIndex, sizeChecked: boolean, call?: EventType): SegmentMessage {
  if (!isJsonObject(raw)) throw invalid(fieldOf(index), 'must be a JSON object');
  if (!sizeChecked) assertMessageSize(raw, index, call);
  else if (nestsTooDeep(raw, 0)) assertNesting(raw, messagePath(index), 0);
  const type = call ?? raw.type;
  if (!isEventType(type)) throw invalid(fieldOf(index, 'type'), `must be one of ${EVENT_TYPES.join(', ')}`);
  const common: CommonFields = {
    messageId: text(raw, 'messageId', index, 'optional', 1, MAX_IDENTITY_LENGTH),
    userId: text(raw, 'userId', index, 'nullish', 1, MAX_IDENTITY_LENGTH),
    anonymousId: text(raw, 'anonymousId', index, 'nullish', 1, MAX_IDENTITY_LENGTH),
    timestamp: instant(raw, 'timestamp', index),
    originalTimestamp: instant(raw, 'originalTimestamp', index),
    sentAt: instant(raw, 'sentAt', index),
    context: jsonObject(raw, 'context', index),
  };
  // Checked as the zod schema did, though no command carries it.
  jsonObject(raw, 'integrations', index);
  const fields = callFields(raw, index, type);
  if (!common.userId && !common.anonymousId) throw invalid(fieldOf(index, 'userId'), 'userId or anonymousId is required');
  return { common, call: fields };
}

function callFields(raw: JsonObject, index: MessageIndex, type: EventType): CallFields {
  switch (type) {
    case 'track':
      return {
        type,
        event: text(raw, 'event', index, 'required', 1, MAX_LABEL_LENGTH),
        properties: jsonObject(raw, 'properties', index),
      };
    case 'identify':
      return { type, traits: jsonObject(raw, 'traits', index) };
    case 'page':
    case 'screen':
      return {
        type,
        name: text(raw, 'name', index, 'nullish', 0, MAX_LABEL_LENGTH),
        category: text(raw, 'category', index, 'nullish', 0, MAX_LABEL_LENGTH),
        properties: jsonObject(raw, 'properties', index),
      };
    case 'group':
      return {
        type,
        groupId: text(raw, 'groupId', index, 'required', 1, MAX_IDENTITY_LENGTH),
        traits: jsonObject(raw, 'traits', index),
      };
    case 'alias':
      return { type, previousId: text(raw, 'previousId', index, 'required', 1, MAX_IDENTITY_LENGTH) };
  }
}

function parseEnvelope(body: unknown): BatchEnvelope {
  if (!isJsonObject(body)) throw invalid('body', 'must be a JSON object');
  const batch = body.batch;
  if (!Array.isArray(batch)) throw invalid('batch', batch === undefined ? 'is required' : 'must be an array of messages');
  const envelope = { batch, sentAt: instant(body, 'sentAt', null), context: jsonObject(body, 'context', null) };
  // The batch's context is the default context of its messages: nested as deep at most.
  if (envelope.context && nestsTooDeep(envelope.context, 1)) assertNesting(envelope.context, 'context', 1);
  return envelope;
}

/**
 * Validates a whole request (all or nothing) into commands. `call` is the endpoint's type
 * (`track` for /v1/track…) or `batch`. `bodyBytes`, the UTF-8 length of the (un-gzipped) JSON
 * text `body` was parsed from, lets a small request skip measuring each message.
 */
export function segmentCommands(
  call: EventType | 'batch',
  body: unknown,
  receivedAt: Date,
  newMessageId: () => string,
  bodyBytes?: number,
): IngestEventCommand[] {
  const sizeChecked = bodyHoldsOnlySmallMessages(bodyBytes);
  if (call !== 'batch') {
    const message = parseMessage(body, null, sizeChecked, call);
    return [toCommand(message, { sentAt: undefined, context: undefined }, receivedAt, newMessageId, null)];
  }
  const envelope = parseEnvelope(body);
  const messages = envelope.batch.map((raw, i) => parseMessage(raw, i, sizeChecked));
  return messages.map((message, i) => toCommand(message, envelope, receivedAt, newMessageId, i));
}

/** What a batch's messages fall back on. */
interface BatchDefaults {
  sentAt: number | undefined;
  context: JsonObject | undefined;
}

/**
 * When the event happened, on our clock: with a `sentAt`, the sender's offset between the event
 * and sending is kept (clock-skew correction). Refused when it falls before 1900 or more than a
 * year after receipt (see eventTimeRuleBroken), naming the date-time it came from.
 */
function eventTime(common: CommonFields, sentAt: number | undefined, receivedAt: Date, index: MessageIndex): Date {
  const stamped = common.timestamp ?? common.originalTimestamp;
  if (stamped === undefined) return receivedAt;
  const time = sentAt === undefined ? stamped : receivedAt.getTime() - (sentAt - stamped);
  const broken = eventTimeRuleBroken(time, receivedAt);
  if (broken === undefined) return new Date(time);
  const field = fieldOf(index, common.timestamp === undefined ? 'originalTimestamp' : 'timestamp');
  throw invalid(field, sentAt === undefined ? broken : `${broken} (corrected for the sender's clock with sentAt, it is ${new Date(time).toISOString()})`);
}

function toCommand(
  { common, call }: SegmentMessage,
  batch: BatchDefaults,
  receivedAt: Date,
  newMessageId: () => string,
  index: MessageIndex,
): IngestEventCommand {
  const sentAtTime = common.sentAt ?? batch.sentAt;
  const sentAt = sentAtTime === undefined ? null : new Date(sentAtTime);
  const timestamp = eventTime(common, sentAtTime, receivedAt, index);
  let name: string = call.type;
  let properties: JsonObject;
  let traits: JsonObject | null = null;
  let previousId: string | null = null;
  switch (call.type) {
    case 'track':
      name = call.event;
      properties = call.properties ?? {};
      break;
    case 'page':
    case 'screen': {
      const named = { ...(call.name ? { name: call.name } : {}), ...(call.category ? { category: call.category } : {}) };
      properties = { ...named, ...call.properties };
      break;
    }
    case 'identify':
      properties = call.traits ?? {};
      traits = call.traits ?? {};
      break;
    case 'group':
      properties = traits = { groupId: call.groupId, traits: call.traits ?? {} };
      break;
    case 'alias':
      properties = { previousId: call.previousId };
      previousId = call.previousId;
      break;
  }
  return {
    messageId: common.messageId ?? newMessageId(),
    type: call.type,
    profileId: null,
    userId: common.userId ?? null,
    anonymousId: common.anonymousId ?? null,
    context: common.context ?? batch.context ?? null,
    timestamp,
    sentAt,
    receivedAt,
    traits,
    previousId,
    name,
    properties,
  };
}
