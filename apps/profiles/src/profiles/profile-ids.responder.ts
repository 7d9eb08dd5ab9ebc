import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { ListProfileIds, type ProfileIdsPage } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { ProfileRepository } from './profile.repository.js';

/**
 * Serves the pages of existing profile ids (every project's, merged ones left out; erased ones are
 * gone) that other services read once to fill their projection of profiles.
 */
@Injectable()
export class ProfileIdsResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly profiles: ProfileRepository,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = serveRpc(this.messaging.nc, this.messaging.subjects, ListProfileIds, (request) => this.page(request.after, request.limit), this.logger);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  /** Walks the primary key: each page is one index range, however many profiles there are. */
  async page(after: string | null, limit: number): Promise<ProfileIdsPage> {
    const rows = await this.profiles.liveIdsOfEveryProject(after, limit);
    return {
      profiles: rows.map((row) => ({ projectId: row.projectId, profileId: row.id })),
      next: rows.length === limit ? rows[rows.length - 1]!.id : null,
    };
  }
}
