import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventsAttached, EventsIngested, type IngestedEvent } from '@boomerang/contracts';
import { hitOf } from '@boomerang/audience';
import { Clock, KnownProfiles, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { LeafCatalog, type StoredLeaf } from './leaf-catalog.js';
import { LeafHits, type LeafHit } from './leaf-hits.js';
import { ProfileEvaluation, type ProfileChange } from './profile-evaluation.js';

export const LIVE_EVENTS_DURABLE = 'segments-live-events';
export const LIVE_ATTACHED_DURABLE = 'segments-live-attached';

/**
 * The live path: every event with its profile is matched against the project's behaviour leaves
 * (an index by event name, so an event costs only the leaves that name it), folded into the
 * profiles' leaf states, and the segments whose verdict can have changed are re-evaluated for
 * those profiles, all in the consumer's transaction with its inbox row (a redelivered message
 * changes nothing twice). Events reach it with their profile exactly once: at ingest
 * (EventsIngested with `profileId`), or, tracked before their user or anonymous id had a profile,
 * when events attaches them to it (EventsAttached, its own durable); EventsIngested's events
 * without a profile are skipped (their EventsAttached follows).
 */
@Injectable()
export class LiveEvents {
  constructor(
    lifecycle: MessagingLifecycle,
    private readonly catalog: LeafCatalog,
    private readonly hits: LeafHits,
    private readonly evaluation: ProfileEvaluation,
    private readonly knownProfiles: KnownProfiles,
    private readonly clock: Clock,
  ) {
    for (const [durable, contract] of [
      [LIVE_EVENTS_DURABLE, EventsIngested],
      [LIVE_ATTACHED_DURABLE, EventsAttached],
    ] as const) {
      lifecycle.register({
        durable,
        contract,
        maxBatchSize: 50,
        handle: (body, { manager }) => this.handle(manager, body.projectId, body.events),
        handleBatch: async (messages, manager) => {
          const byProject = new Map<string, IngestedEvent[]>();
          for (const { body } of messages) byProject.set(body.projectId, [...(byProject.get(body.projectId) ?? []), ...body.events]);
          for (const [projectId, events] of byProject) await this.handle(manager, projectId, events);
        },
        split: (body) => body.events.map((event) => ({ ...body, events: [event] })),
      });
    }
  }

  async handle(manager: EntityManager, projectId: string, events: readonly IngestedEvent[]): Promise<void> {
    const resolved = events.filter((event): event is IngestedEvent & { profileId: string } => !!event.profileId);
    if (resolved.length === 0) return;
    await this.catalog.lockShared(manager, projectId);
    const occurredAt = this.clock.now().toISOString();
    await this.knownProfiles.remember(manager, [...new Set(resolved.map((event) => event.profileId))].map((profileId) => ({ projectId, profileId, occurredAt })));
    await this.apply(manager, projectId, resolved);
  }

  /** Folds events whose profile is known into the leaves and re-evaluates what they changed. */
  async apply(manager: EntityManager, projectId: string, events: readonly (IngestedEvent & { profileId: string })[]): Promise<void> {
    const catalog = await this.catalog.live(manager, projectId);
    const byName = indexByEventName(catalog.leaves);
    if (byName.size === 0) return;
    const hits: LeafHit[] = [];
    for (const event of events) {
      const candidates = byName.get(event.name);
      if (!candidates) continue;
      const hitEvent = { name: event.name, timestampMs: Date.parse(event.timestamp), properties: event.properties };
      for (const leaf of candidates) {
        const value = hitOf(leaf.spec!, hitEvent);
        if (value !== undefined) hits.push({ leafId: leaf.id, profileId: event.profileId, eventId: event.eventId, timeMs: hitEvent.timestampMs, value });
      }
    }
    if (hits.length === 0) return;
    await this.evaluation.noteFillEvents(manager, projectId, catalog, hits);
    const now = this.clock.now();
    const changed = await this.hits.record(manager, projectId, catalog.leaves, hits, now.getTime());
    const changes = new Map<string, ProfileChange>([...changed].map(([profileId, change]) => [profileId, { leafIds: change.leafIds, cause: 'event', eventId: change.eventId }]));
    await this.evaluation.evaluate(manager, projectId, catalog, changes, now);
  }
}

function indexByEventName(leaves: ReadonlyMap<string, StoredLeaf>): Map<string, StoredLeaf[]> {
  const index = new Map<string, StoredLeaf[]>();
  for (const leaf of leaves.values()) {
    if (!leaf.spec) continue;
    for (const name of new Set(leaf.spec.steps.map((step) => step.name))) index.set(name, [...(index.get(name) ?? []), leaf]);
  }
  return index;
}
