import { Buffer } from 'node:buffer';
import { z } from 'zod';
import { EVENT_TYPES } from '@boomerang/contracts';
import { isJsonObject } from '@boomerang/platform/subgraph';
import type { EventType } from '../events/event.entity.js';
import type { IngestEventCommand } from './ingest-event.command.js';
import { IngestionError, IngestionErrorCode } from './ingestion.errors.js';

/** The Segment tracking API's limits. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;

const identity = z.string().min(1).max(255);
const instant = z.iso.datetime({ offset: true });
const object = z.record(z.string(), z.unknown());

const common = {
  messageId: identity.optional(),
  userId: identity.nullish(),
  anonymousId: identity.nullish(),
  timestamp: instant.optional(),
  originalTimestamp: instant.optional(),
  sentAt: instant.optional(),
  context: object.optional(),
  integrations: object.optional(),
};

const segmentMessage = z
  .discriminatedUnion('type', [
    z.object({ ...common, type: z.literal('track'), event: z.string().min(1).max(200), properties: object.optional() }),
    z.object({ ...common, type: z.literal('identify'), traits: object.optional() }),
    z.object({ ...common, type: z.literal('page'), name: z.string().max(200).nullish(), category: z.string().max(200).nullish(), properties: object.optional() }),
    z.object({ ...common, type: z.literal('screen'), name: z.string().max(200).nullish(), category: z.string().max(200).nullish(), properties: object.optional() }),
    z.object({ ...common, type: z.literal('group'), groupId: identity, traits: object.optional() }),
    z.object({ ...common, type: z.literal('alias'), previousId: identity }),
  ])
  .superRefine((message, context) => {
    if (!message.userId && !message.anonymousId) {
      context.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
    }
  });
type SegmentMessage = z.infer<typeof segmentMessage>;

const batchEnvelope = z.object({ batch: z.array(z.unknown()), sentAt: instant.optional(), context: object.optional() });

function invalid(field: string, rule: string): IngestionError {
  return new IngestionError(IngestionErrorCode.InvalidRequest, `${field}: ${rule}`, field);
}

/** `batch[3].userId` from a zod issue path under `prefix`. */
function fieldOf(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((field, key) => (typeof key === 'number' ? `${field}[${key}]` : field ? `${field}.${String(key)}` : String(key)), prefix);
}

function parseMessage(raw: unknown, field: string): SegmentMessage {
  if (!isJsonObject(raw)) throw invalid(field || 'body', 'must be a JSON object');
  if (Buffer.byteLength(JSON.stringify(raw)) > MAX_MESSAGE_BYTES) {
    throw new IngestionError(IngestionErrorCode.TooLarge, `${field || 'body'}: a message must be at most 32 KB`, field || 'body');
  }
  const type = (raw as { type?: unknown }).type;
  if (!EVENT_TYPES.includes(type as EventType)) throw invalid(fieldOf(field, ['type']), `must be one of ${EVENT_TYPES.join(', ')}`);
  const result = segmentMessage.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw invalid(fieldOf(field, issue.path), issue.message);
  }
  return result.data;
}

/**
 * Validates a whole request (all or nothing) into commands. `call` is the endpoint's type
 * (`track` for /v1/track…) or `batch`.
 */
export function segmentCommands(
  call: EventType | 'batch',
  body: unknown,
  receivedAt: Date,
  newMessageId: () => string,
): IngestEventCommand[] {
  if (call !== 'batch') {
    const withType = isJsonObject(body) ? { ...body, type: call } : body;
    return [toCommand(parseMessage(withType, ''), undefined, receivedAt, newMessageId)];
  }
  const envelope = batchEnvelope.safeParse(body);
  if (!envelope.success) {
    const issue = envelope.error.issues[0]!;
    throw invalid(fieldOf('', issue.path) || 'body', issue.message);
  }
  const messages = envelope.data.batch.map((raw, i) => parseMessage(raw, `batch[${i}]`));
  return messages.map((message) =>
    toCommand(message, envelope.data.sentAt, receivedAt, newMessageId, envelope.data.context),
  );
}

function toCommand(
  message: SegmentMessage,
  batchSentAt: string | undefined,
  receivedAt: Date,
  newMessageId: () => string,
  batchContext?: Record<string, unknown>,
): IngestEventCommand {
  const sentAtText = message.sentAt ?? batchSentAt;
  const sentAt = sentAtText ? new Date(sentAtText) : null;
  const stamped = message.timestamp ?? message.originalTimestamp;
  // Clock-skew correction: keep the sender's offset between the event and sending, on our clock.
  const timestamp = stamped
    ? sentAt
      ? new Date(receivedAt.getTime() - (sentAt.getTime() - new Date(stamped).getTime()))
      : new Date(stamped)
    : receivedAt;
  const base = {
    messageId: message.messageId ?? newMessageId(),
    type: message.type,
    profileId: null,
    userId: message.userId ?? null,
    anonymousId: message.anonymousId ?? null,
    context: message.context ?? batchContext ?? null,
    timestamp,
    sentAt,
    receivedAt,
    traits: null,
    previousId: null,
  };
  switch (message.type) {
    case 'track':
      return { ...base, name: message.event, properties: message.properties ?? {} };
    case 'page':
    case 'screen': {
      const named = { ...(message.name ? { name: message.name } : {}), ...(message.category ? { category: message.category } : {}) };
      return { ...base, name: message.type, properties: { ...named, ...message.properties } };
    }
    case 'identify':
      return { ...base, name: 'identify', properties: message.traits ?? {}, traits: message.traits ?? {} };
    case 'group': {
      const group = { groupId: message.groupId, traits: message.traits ?? {} };
      return { ...base, name: 'group', properties: group, traits: group };
    }
    case 'alias':
      return { ...base, name: 'alias', properties: { previousId: message.previousId }, previousId: message.previousId };
  }
}
