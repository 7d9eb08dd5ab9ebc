import { Inject, Injectable } from '@nestjs/common';
import { ApiKeyCache, type CallerScope } from '@boomerang/platform/auth';
import type { Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER, MESSAGING } from '@boomerang/platform/subgraph';
import { INGEST_CONFIG, type IngestConfig } from '../ingestion/ingest-config.js';
import { IngestionError, IngestionErrorCode } from '../ingestion/ingestion.errors.js';

/** The project and scope a key belongs to. */
export interface ResolvedKey {
  projectId: string;
  scope: CallerScope;
}

/**
 * Authenticates the ingestion API's callers by a project's publishable or secret key (Segment's
 * write key, CleverTap's passcode), resolved through workspace and cached for
 * `INGEST_KEY_CACHE_TTL_MS`. Unknown or revoked → 401; workspace unreachable → 503.
 */
@Injectable()
export class WriteKeys {
  private readonly keys: ApiKeyCache;

  constructor(
    @Inject(INGEST_CONFIG) config: IngestConfig,
    @Inject(MESSAGING) messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.keys = new ApiKeyCache(messaging, config.INGEST_KEY_CACHE_TTL_MS);
  }

  /** The project and scope of `key`; `field` names where the key came from (`writeKey`, `X-CleverTap-Passcode`). */
  async resolve(key: string, field: string): Promise<ResolvedKey> {
    let reply;
    try {
      reply = await this.keys.resolve(key.slice(0, 200));
    } catch (error) {
      this.logger.warn({ err: error }, 'write key look-up failed');
      throw new IngestionError(IngestionErrorCode.Unavailable, 'Cannot verify the write key right now; retry later');
    }
    if (!reply.ok) throw new IngestionError(IngestionErrorCode.Unauthenticated, `${field === 'writeKey' ? 'Write key' : 'Passcode'} ${reply.reason}`, field);
    return { projectId: reply.projectId, scope: reply.scope };
  }
}
