import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ListProfileSnapshots, MAX_PROFILE_SNAPSHOTS_PER_PAGE, type ProfileSnapshot } from '@boomerang/contracts';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER, MESSAGING } from '@boomerang/platform/subgraph';
import { AnalyticsProfiles } from './analytics-profiles.js';

export interface ProfileBackfillReport {
  /** Pages this run stored. */
  pages: number;
  /** Snapshots this run stored. */
  profiles: number;
  /** The walk has reached the last profile (now or before). */
  completed: boolean;
}

interface Progress {
  after_profile_id: string | null;
  completed_at: Date | null;
}

/** Longest wait between two tries while profiles does not answer. */
const MAX_RETRY_MS = 30_000;

/**
 * Fills `analytics_profile` with the profiles that exist, for those whose last ProfileChanged came
 * before the `events-analytics-profile-changed` consumer existed: profiles' ListProfileSnapshots,
 * every project's profiles in id order, page by page. Each page is stored with the walk's progress
 * in one transaction, so a restart resumes after the last stored page; two instances never store
 * a page over each other (the progress row is locked and compared); a finished walk is not run
 * again on start (`restart` asks for one). Storing is AnalyticsProfiles.record's: the newest
 * `updatedAt` wins over the live snapshots, and merged or erased profiles are not brought back.
 */
@Injectable()
export class AnalyticsProfileBackfill implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly abort = new AbortController();
  private running?: Promise<ProfileBackfillReport>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    private readonly profiles: AnalyticsProfiles,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** The walk (the one already running, else a new one; nothing to do once completed). */
  start(): Promise<ProfileBackfillReport> {
    this.running ??= this.walk().finally(() => (this.running = undefined));
    return this.running;
  }

  /** On demand: walks every profile again from the first (e.g. after analytics' tables were restored); idempotent, as every walk. */
  async restart(): Promise<ProfileBackfillReport> {
    await this.dataSource.query(`UPDATE analytics_profile_backfill SET after_profile_id = NULL, completed_at = NULL, started_at = NULL, pages = 0, profiles = 0`);
    return this.start();
  }

  private async walk(): Promise<ProfileBackfillReport> {
    const report = { pages: 0, profiles: 0, completed: false };
    for (let delayMs = 500; !this.abort.signal.aborted; ) {
      const [progress] = (await this.dataSource.query(`SELECT after_profile_id, completed_at FROM analytics_profile_backfill`)) as Progress[];
      if (!progress || progress.completed_at) return { ...report, completed: true };
      let page;
      try {
        page = await callRpc(this.messaging.nc, this.messaging.subjects, ListProfileSnapshots, { after: progress.after_profile_id, limit: MAX_PROFILE_SNAPSHOTS_PER_PAGE }, 10_000);
      } catch (error) {
        this.logger.warn({ err: error, retryInMs: delayMs }, 'analytics profiles backfill: profiles did not answer; retrying');
        await sleep(delayMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
        delayMs = Math.min(delayMs * 2, MAX_RETRY_MS);
        continue;
      }
      delayMs = 500;
      const stored = await this.dataSource.transaction(async (manager) => {
        const [current] = (await manager.query(`SELECT after_profile_id, completed_at FROM analytics_profile_backfill FOR UPDATE`)) as Progress[];
        // Another instance (or a restart) moved the walk since this page was asked for: ask again from where it is.
        if (!current || current.completed_at || current.after_profile_id !== progress.after_profile_id) return null;
        const byProject = new Map<string, ProfileSnapshot[]>();
        for (const { projectId, ...snapshot } of page.profiles) byProject.set(projectId, [...(byProject.get(projectId) ?? []), snapshot]);
        for (const [projectId, snapshots] of [...byProject].sort(([a], [b]) => a.localeCompare(b))) await this.profiles.record(manager, projectId, snapshots);
        await manager.query(
          `UPDATE analytics_profile_backfill SET after_profile_id = $1, pages = pages + 1, profiles = profiles + $2,
             started_at = COALESCE(started_at, now()), completed_at = CASE WHEN $3 THEN now() END`,
          [page.next ?? progress.after_profile_id, page.profiles.length, page.next === null],
        );
        return page.profiles.length;
      });
      if (stored === null) continue;
      report.pages++;
      report.profiles += stored;
      if (page.next === null) {
        this.logger.info(report, 'analytics profiles backfill: every existing profile stored');
        return { ...report, completed: true };
      }
    }
    return report;
  }
}
