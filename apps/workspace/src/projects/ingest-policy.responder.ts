import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { GetIngestPolicy } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { ProjectService } from './project.service.js';

/** Serves ingestion's look-ups of a project's ingest policy over NATS request/reply. */
@Injectable()
export class IngestPolicyResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly projects: ProjectService,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = serveRpc(this.messaging.nc, this.messaging.subjects, GetIngestPolicy, (request) => this.projects.ingestPolicy(request.projectId), this.logger);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
