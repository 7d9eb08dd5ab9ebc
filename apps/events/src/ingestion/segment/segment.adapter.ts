import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as timeOrderedUuid } from 'uuid';
import { EVENT_TYPES } from '@boomerang/contracts';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER } from '@boomerang/platform/subgraph';
import type { EventType } from '../../events/event.entity.js';
import { takeContextUserToken, UserVerification, type ReceivedCommand } from '../../verification/user-verification.js';
import { WriteKeys, type ResolvedKey } from '../../verification/write-keys.js';
import { readBody, refuse, send, userTokenHeader, type IngestAdapter } from '../http/ingest-http.js';
import { IngestEvents } from '../ingest-events.use-case.js';
import { IngestionError, IngestionErrorCode } from '../ingestion.errors.js';
import { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, segmentCommands } from './segment-message.js';

/** What a Segment path posts: one call type, or a batch of them. */
export type SegmentCall = EventType | 'batch';

const SEGMENT_CALLS = new Map<string, SegmentCall>([
  ['/v1/batch', 'batch'],
  ['/v1/import', 'batch'],
  ...EVENT_TYPES.map((type) => [`/v1/${type}`, type] as const),
  // analytics.js posts each call to its type's initial (/v1/t, /v1/i, …) and batches to /v1/b.
  ['/v1/b', 'batch'],
  ...EVENT_TYPES.map((type) => [`/v1/${type.charAt(0)}`, type] as const),
]);

/**
 * The Segment-compatible tracking API (`POST /v1/batch`, `/v1/track`, …, and analytics.js' short
 * paths). The write key (HTTP Basic username, or `writeKey` in the body) is a project's
 * publishable or secret key; user tokens come per message (`context.userToken`) or per request
 * (`X-User-Token`). A 200 means the events are committed (with their announcement rows).
 */
@Injectable()
export class SegmentAdapter implements IngestAdapter<SegmentCall> {
  constructor(
    private readonly ingestEvents: IngestEvents,
    private readonly verification: UserVerification,
    private readonly writeKeys: WriteKeys,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  route(method: string | undefined, path: string): SegmentCall | undefined {
    return method === 'POST' ? SEGMENT_CALLS.get(path) : undefined;
  }

  async serve(request: IncomingMessage, response: ServerResponse, call: SegmentCall): Promise<void> {
    try {
      const receivedAt = this.clock.now();
      const { body, bytes } = await readBody(request, call === 'batch' ? MAX_BATCH_BYTES : MAX_MESSAGE_BYTES, call === 'batch' ? 'batch' : 'body');
      const { projectId, scope } = await this.authenticate(request, body);
      const commands = segmentCommands(call, body, receivedAt, timeOrderedUuid, bytes);
      const headerToken = userTokenHeader(request);
      await this.verification.verify(
        projectId,
        scope,
        commands.map((command, i): ReceivedCommand => {
          const field = call === 'batch' ? `batch[${i}]` : '';
          const fromContext = takeContextUserToken(command);
          const token =
            fromContext !== undefined ? { value: fromContext, field: field ? `${field}.context.userToken` : 'context.userToken' } : headerToken;
          return { command, token, field };
        }),
      );
      await this.ingestEvents.execute(projectId, commands);
      send(response, 200, { success: true });
    } catch (error) {
      refuse(response, error, this.logger);
    }
  }

  private async authenticate(request: IncomingMessage, body: unknown): Promise<ResolvedKey> {
    const key = basicAuthUsername(request.headers.authorization) ?? bodyWriteKey(body);
    if (!key) throw new IngestionError(IngestionErrorCode.Unauthenticated, 'Missing write key (HTTP Basic username)', 'writeKey');
    return this.writeKeys.resolve(key, 'writeKey');
  }
}

function basicAuthUsername(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const username = decoded.split(':')[0];
  return username || undefined;
}

function bodyWriteKey(body: unknown): string | undefined {
  const key = (body as { writeKey?: unknown } | null)?.writeKey;
  return typeof key === 'string' && key ? key : undefined;
}
