import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import { ListProfileSnapshots } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import { LOGGER, MESSAGING, type Logger } from '@boomerang/platform/subgraph';
import { profileSnapshot } from './profile-snapshot.js';
import { ProfileRepository } from './profile.repository.js';

export type ProfileSnapshotsPage = z.infer<typeof ListProfileSnapshots.reply>;

/** NATS' default max_payload, when the server does not say. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Room left in a reply for its envelope and the page's `next`. */
const REPLY_HEADROOM = 4 * 1024;

/**
 * Serves the pages of existing profiles as snapshots (every project's, merged ones left out; erased
 * ones are gone) that a service reads once to fill its projection of profile attributes before it
 * follows `profiles.*.changed`.
 */
@Injectable()
export class ProfileSnapshotsResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    private readonly profiles: ProfileRepository,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = serveRpc(this.messaging.nc, this.messaging.subjects, ListProfileSnapshots, (request) => this.page(request.after, request.limit), this.logger);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  /**
   * Walks the primary key (each page one index range). A page ends early, `next` set, where the
   * next profile would take the reply past the server's max payload (large properties): callers
   * read until `next` is null, not until a short page.
   */
  async page(after: string | null, limit: number, maxBytes = (this.messaging.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - REPLY_HEADROOM): Promise<ProfileSnapshotsPage> {
    const rows = await this.profiles.liveSnapshotsOfEveryProject(after, limit);
    const profiles: ProfileSnapshotsPage['profiles'] = [];
    let bytes = 0;
    for (const row of rows) {
      const profile = { projectId: row.projectId, ...profileSnapshot(row) };
      bytes += Buffer.byteLength(JSON.stringify(profile)) + 1;
      // One profile always goes, alone if it must, so the walk moves on.
      if (profiles.length > 0 && bytes > maxBytes) break;
      profiles.push(profile);
    }
    const full = profiles.length < rows.length || rows.length === limit;
    return { profiles, next: full && profiles.length > 0 ? profiles[profiles.length - 1]!.profileId : null };
  }
}
