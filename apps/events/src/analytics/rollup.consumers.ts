import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventsIngested, ProfileDeleted, ProfileIdentified, ProfileMerged, type IngestedEvent } from '@boomerang/contracts';
import { IdentityFingerprints } from '@boomerang/platform/messaging';
import { MessagingLifecycle, SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { ProfileLinks } from '../profile-sync/profile-links.js';
import { AnalyticsSettingsStore } from './analytics-settings.js';
import { receivedAt, RollupWatermark } from './rollup-watermark.js';
import { beginFold, Rollups } from './rollups.js';

export const ANALYTICS_EVENTS_DURABLE = 'events-analytics-rollups';
/** EventsIngested messages folded in one transaction (each holds one ingest call's events, up to a few hundred). */
export const ROLLUP_BATCH_MESSAGES = 50;

/**
 * Keeps the rollups from events' own stream, off the ingest path: each EventsIngested message is
 * folded in within the consumer's transaction (its inbox row commits with the rows, so a
 * redelivery adds nothing; each event is in exactly one message). Events received before the
 * watermark are the backfill's. Merges and erasures re-point or delete the profile's rollups.
 */
@Injectable()
export class RollupConsumers {
  constructor(
    lifecycle: MessagingLifecycle,
    private readonly rollups: Rollups,
    private readonly settings: AnalyticsSettingsStore,
    private readonly watermark: RollupWatermark,
    links: ProfileLinks,
    @Inject(SUBGRAPH_CONFIG) config: SubgraphConfig,
  ) {
    const fingerprints = new IdentityFingerprints(config.INTERNAL_SIGNING_SECRET);
    lifecycle.register({
      durable: ANALYTICS_EVENTS_DURABLE,
      contract: EventsIngested,
      maxBatchSize: ROLLUP_BATCH_MESSAGES,
      handle: (body, { manager }) => this.fold(manager, body.projectId, body.events),
      handleBatch: async (messages, manager) => {
        const byProject = new Map<string, IngestedEvent[]>();
        for (const { body } of messages) {
          const events = byProject.get(body.projectId);
          if (events) events.push(...body.events);
          else byProject.set(body.projectId, [...body.events]);
        }
        for (const [projectId, events] of [...byProject].sort(([a], [b]) => a.localeCompare(b))) await this.fold(manager, projectId, events);
      },
    });
    lifecycle.register({
      durable: 'events-analytics-profile-identified',
      contract: ProfileIdentified,
      handle: async (body, { manager }) => void (await this.rollups.applyIdentified(manager, body.projectId, body.profileId, body.userId, body.anonymousIds)),
    });
    lifecycle.register({
      durable: 'events-analytics-profile-merged',
      contract: ProfileMerged,
      handle: (body, { manager }) => this.rollups.merge(manager, body.projectId, body.profileId, body.mergedProfileId),
    });
    lifecycle.register({
      durable: 'events-analytics-profile-deleted',
      contract: ProfileDeleted,
      handle: async (body, { manager }) => this.rollups.erase(manager, body, await links.linkedIds(manager, body.projectId, body.profileId), fingerprints),
    });
  }

  async fold(manager: EntityManager, projectId: string, events: readonly IngestedEvent[]): Promise<void> {
    const from = await this.watermark.get(manager);
    const mine = events.filter((event) => receivedAt(event.eventId) >= from.getTime());
    if (mine.length === 0) return;
    await beginFold(manager, projectId);
    const settings = await this.settings.get(manager, projectId);
    // Events before a rebuild's point are the rebuild's (it folds them from the event table); later ones wait for it while it is pending.
    const rebuildBefore = settings.rebuildBefore;
    const after = rebuildBefore ? mine.filter((event) => event.eventId >= rebuildBefore) : mine;
    if (settings.rebuilding) await this.rollups.park(manager, projectId, after, settings);
    else await this.rollups.applyEvents(manager, projectId, after, settings);
  }
}

export { receivedAt, uuidV7Floor } from './rollup-watermark.js';
