import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { encodeProfileIds, ListSegmentMembers, type SegmentMembersPage } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER, MESSAGING } from '@boomerang/platform/subgraph';

/**
 * Answers `ListSegmentMembers`: a page of a segment's current members in id order, as compact ids,
 * for a service filling its own projection of memberships (campaigns) before following
 * `membership-changed`. `asOf` is read before the page, so a change after it reaches the caller live.
 */
@Injectable()
export class SegmentMembersResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = serveRpc(this.messaging.nc, this.messaging.subjects, ListSegmentMembers, (request) => this.page(request), this.logger);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  async page({ projectId, segmentId, after, limit }: { projectId: string; segmentId: string; after: string | null; limit: number }): Promise<SegmentMembersPage> {
    const asOf = this.clock.now().toISOString();
    const [segment] = (await this.dataSource.query(`SELECT 1 FROM segment WHERE project_id = $1 AND id = $2`, [projectId, segmentId])) as unknown[];
    if (!segment) return { ok: false, reason: 'unknown-segment' };
    const rows = (await this.dataSource.query(
      `SELECT profile_id FROM segment_membership WHERE project_id = $1 AND segment_id = $2 AND ($3::uuid IS NULL OR profile_id > $3::uuid)
       ORDER BY profile_id LIMIT $4`,
      [projectId, segmentId, after, limit + 1],
    )) as { profile_id: string }[];
    const page = rows.slice(0, limit).map((row) => row.profile_id);
    return { ok: true, profileIds: encodeProfileIds(page), count: page.length, next: rows.length > limit ? page[page.length - 1]! : null, asOf };
  }
}
