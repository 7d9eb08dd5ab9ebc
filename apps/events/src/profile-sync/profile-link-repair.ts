import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER } from '@boomerang/platform/subgraph';
import type { EventRow } from '../events/event.entity.js';
import { ProfileLinks } from './profile-links.js';

const REPAIR_INTERVAL_MS = 10_000;

/**
 * Closes a race between ingest and a first link: an ingest that looked its identities up before
 * a link committed, and committed after that link's write had attached the events then waiting,
 * leaves its events without the profile. Every REPAIR_INTERVAL_MS this attaches the events still
 * waiting for the identities of links written up to the previous run (so every ingest that could
 * have raced them has committed since), through the `event_unlinked_*` indexes, and records how
 * far it got in `profile_link_version.repaired_version`. Repeating it is harmless (only events
 * without a profile change), so every instance runs it.
 */
@Injectable()
export class ProfileLinkRepair implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  /** The versions seen by the previous run, per project: this run repairs up to them. */
  private seen = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly links: ProfileLinks,
  ) {}

  onApplicationBootstrap(): void {
    if (process.argv.includes('--print-schema')) return;
    this.timer = setInterval(() => void this.run().catch((error) => this.logger.error({ err: error }, 'profile link repair failed')), REPAIR_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One run: repairs what the previous run saw, then remembers what this one sees. Returns the events attached. */
  async run(): Promise<number> {
    const projects = (await this.dataSource.query(
      `SELECT project_id, version, repaired_version FROM profile_link_version WHERE version > repaired_version`,
    )) as { project_id: string; version: string; repaired_version: string }[];
    let attached = 0;
    const seen = new Map<string, number>();
    for (const project of projects) {
      seen.set(project.project_id, Number(project.version));
      const upTo = this.seen.get(project.project_id);
      if (upTo !== undefined && upTo > Number(project.repaired_version)) attached += await this.repair(project.project_id, Number(project.repaired_version), upTo);
    }
    this.seen = seen;
    if (attached > 0) this.logger.info({ attached }, 'events attached to profiles after racing their first link');
    return attached;
  }

  /** Attaches the waiting events of the links stamped in (after, upTo]: by user id first, as ingest does, then by anonymous id. */
  private repair(projectId: string, after: number, upTo: number): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const byUser = (await manager.query(
        `UPDATE event e SET profile_id = l.profile_id
         FROM profile_link l
         WHERE l.project_id = $1 AND l.kind = 'user_id' AND l.version > $2 AND l.version <= $3
           AND e.project_id = $1 AND e.profile_id IS NULL AND e.user_id = l.value
         RETURNING e.*`,
        [projectId, after, upTo],
      )) as [EventRow[], number];
      const byAnonymous = (await manager.query(
        `UPDATE event e SET profile_id = l.profile_id
         FROM profile_link l
         WHERE l.project_id = $1 AND l.kind = 'anonymous_id' AND l.version > $2 AND l.version <= $3
           AND e.project_id = $1 AND e.profile_id IS NULL AND e.anonymous_id = l.value
           AND (e.user_id IS NULL OR NOT EXISTS (SELECT 1 FROM profile_link u WHERE u.project_id = $1 AND u.kind = 'user_id' AND u.value = e.user_id))
         RETURNING e.*`,
        [projectId, after, upTo],
      )) as [EventRow[], number];
      // Attached here rather than at the link: announced as the link's are (EventsAttached).
      await this.links.announceAttached(manager, projectId, [...byUser[0], ...byAnonymous[0]]);
      await manager.query(`UPDATE profile_link_version SET repaired_version = $2 WHERE project_id = $1 AND repaired_version < $2`, [projectId, upTo]);
      return byUser[1] + byAnonymous[1];
    });
  }
}
