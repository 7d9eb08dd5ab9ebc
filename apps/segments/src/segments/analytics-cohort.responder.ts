import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { decodeProfileIds, SaveAnalyticsCohort, type SaveAnalyticsCohortReply } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { Clock, LOGGER, MESSAGING } from '@boomerang/platform/subgraph';
import { StaticSegments } from './static-segments.js';

type SaveRequest = z.infer<typeof SaveAnalyticsCohort.request>;

/**
 * Answers `SaveAnalyticsCohort` (events' "profiles as a segment"): chunk 0 creates the STATIC
 * segment whose id is the cohort's, every chunk adds its profiles through StaticSegments (entries
 * published with cause `import`, each profile once), one transaction per chunk holding the segment
 * row, so a retried chunk adds nothing twice.
 */
@Injectable()
export class AnalyticsCohortResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    private readonly statics: StaticSegments,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = serveRpc(this.messaging.nc, this.messaging.subjects, SaveAnalyticsCohort, (request) => this.save(request), this.logger);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  async save({ projectId, cohortId, name, description, chunk, profileIds }: SaveRequest): Promise<SaveAnalyticsCohortReply> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      const lock = () =>
        manager.query(`SELECT id, version, kind, name FROM segment WHERE project_id = $1 AND id = $2 FOR UPDATE`, [projectId, cohortId]) as Promise<
          { id: string; version: number; kind: string; name: string }[]
        >;
      let [segment] = await lock();
      if (!segment) {
        if (chunk > 0) return { ok: false, reason: 'unknown-cohort' } as const;
        await this.statics.create(manager, projectId, { id: cohortId, name, description }, now);
        [segment] = await lock();
      } else if (segment.kind !== 'static' || segment.name !== name) {
        return { ok: false, reason: 'not-a-cohort' } as const;
      }
      const added = await this.statics.addMembers(manager, projectId, { id: segment!.id, version: Number(segment!.version) }, decodeProfileIds(profileIds), 'import', now);
      return { ok: true, segmentId: segment!.id, added: added.length } as const;
    });
  }
}
