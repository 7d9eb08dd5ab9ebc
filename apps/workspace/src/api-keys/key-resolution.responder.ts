import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { ResolveApiKey } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { ApiKeyService } from './api-key.service.js';

/** Serves the gateway's key look-ups over NATS request/reply. */
@Injectable()
export class KeyResolutionResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly apiKeys: ApiKeyService,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = serveRpc(this.messaging.nc, this.messaging.subjects, ResolveApiKey, (request) => this.apiKeys.resolve(request.key), this.logger);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
