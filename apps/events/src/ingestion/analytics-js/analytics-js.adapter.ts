import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER } from '@boomerang/platform/subgraph';
import { WriteKeys } from '../../verification/write-keys.js';
import { refuse, send, sendScript, type IngestAdapter } from '../http/ingest-http.js';
import { INGEST_CONFIG, type IngestConfig } from '../ingest-config.js';
import { IngestionError, IngestionErrorCode } from '../ingestion.errors.js';
import {
  AnalyticsJsBuild,
  analyticsJsAsset,
  analyticsJsSettings,
  publicAddress,
  publicAddressOf,
  type AnalyticsJsAsset,
  type PublicAddress,
} from './analytics-js.js';

/**
 * What analytics.js fetches besides the tracking API (`GET`): its loader, chunks and source
 * settings. The loader and settings embed the write key in publicly cached answers, so they are
 * served for publishable keys only.
 */
@Injectable()
export class AnalyticsJsAdapter implements IngestAdapter<AnalyticsJsAsset> {
  private readonly build = new AnalyticsJsBuild();
  private readonly configuredAddress: PublicAddress | undefined;

  constructor(
    private readonly writeKeys: WriteKeys,
    @Inject(INGEST_CONFIG) config: IngestConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.configuredAddress = config.INGEST_PUBLIC_URL === undefined ? undefined : publicAddress(config.INGEST_PUBLIC_URL);
  }

  route(method: string | undefined, path: string): AnalyticsJsAsset | undefined {
    return method === 'GET' ? analyticsJsAsset(path) : undefined;
  }

  async serve(request: IncomingMessage, response: ServerResponse, asset: AnalyticsJsAsset): Promise<void> {
    try {
      switch (asset.kind) {
        case 'chunk': {
          const chunk = this.build.chunk(asset.file);
          if (!chunk) throw new IngestionError(IngestionErrorCode.NotFound, `No analytics.js bundle ${asset.file}`);
          // Chunk names carry their content hash.
          return sendScript(response, chunk, 365 * 24 * 3600);
        }
        case 'loader':
          await this.requirePublishableKey(asset.writeKey);
          return sendScript(response, this.build.loaderFor(asset.writeKey), 300);
        case 'settings': {
          await this.requirePublishableKey(asset.writeKey);
          const address = publicAddressOf(request, this.configuredAddress);
          if (!address) throw new IngestionError(IngestionErrorCode.InvalidRequest, 'Host: must name this API (or set INGEST_PUBLIC_URL)', 'Host');
          response.setHeader('cache-control', 'public, max-age=60');
          return send(response, 200, analyticsJsSettings(asset.writeKey, address));
        }
      }
    } catch (error) {
      refuse(response, error, this.logger);
    }
  }

  /** Only a publishable key (public by design) may appear in these answers. */
  private async requirePublishableKey(writeKey: string): Promise<void> {
    const { scope } = await this.writeKeys.resolve(writeKey, 'writeKey');
    if (scope !== 'publishable') {
      throw new IngestionError(
        IngestionErrorCode.Unauthenticated,
        'Write key must be a publishable key (pk_…) here: this answer is public; never ship a secret key to browsers',
        'writeKey',
      );
    }
  }
}
