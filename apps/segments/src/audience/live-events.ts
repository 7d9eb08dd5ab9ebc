import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventsIngested, ProfileIdentified, type IngestedEvent, type MessageOf } from '@boomerang/contracts';
import { hitOf } from '@boomerang/audience';
import { Clock, KnownProfiles, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { LeafCatalog, type StoredLeaf } from './leaf-catalog.js';
import { LeafHits, type LeafHit } from './leaf-hits.js';
import { ProfileEvaluation, type ProfileChange } from './profile-evaluation.js';

export const LIVE_EVENTS_DURABLE = 'segments-live-events';
export const PROFILE_IDENTIFIED_DURABLE = 'segments-profile-identified';

type Identity = { kind: 'user' | 'anonymous'; value: string };

/**
 * The live path: every ingested event is matched against the project's behaviour leaves (an
 * index by event name, so an event costs only the leaves that name it), folded into the
 * profiles' leaf states, and the segments whose verdict can have changed are re-evaluated for
 * those profiles, all in the consumer's transaction with its inbox row (a redelivered message
 * changes nothing twice). An event that reached events before its profile was known waits in
 * `pending_event` until profiles announces who its user or anonymous id is (ProfileIdentified).
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
    lifecycle.register({
      durable: LIVE_EVENTS_DURABLE,
      contract: EventsIngested,
      maxBatchSize: 50,
      handle: (body, { manager }) => this.handle(manager, body.projectId, body.events),
      handleBatch: async (messages, manager) => {
        const byProject = new Map<string, IngestedEvent[]>();
        for (const { body } of messages) byProject.set(body.projectId, [...(byProject.get(body.projectId) ?? []), ...body.events]);
        for (const [projectId, events] of byProject) await this.handle(manager, projectId, events);
      },
      split: (body) => body.events.map((event) => ({ ...body, events: [event] })),
    });
    lifecycle.register({
      durable: PROFILE_IDENTIFIED_DURABLE,
      contract: ProfileIdentified,
      handle: (body, { manager }) => this.identified(manager, body),
    });
  }

  async handle(manager: EntityManager, projectId: string, events: readonly IngestedEvent[]): Promise<void> {
    await this.catalog.lockShared(manager, projectId);
    const resolved = await this.resolveProfiles(manager, projectId, events);
    if (resolved.length === 0) return;
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
    const now = this.clock.now();
    const changed = await this.hits.record(manager, projectId, catalog.leaves, hits, now.getTime());
    const changes = new Map<string, ProfileChange>([...changed].map(([profileId, change]) => [profileId, { leafIds: change.leafIds, cause: 'event', eventId: change.eventId }]));
    await this.evaluation.evaluate(manager, projectId, catalog, changes, now);
  }

  /** Events with their profile: as events knew it, by an identity link, or else parked until ProfileIdentified. */
  private async resolveProfiles(manager: EntityManager, projectId: string, events: readonly IngestedEvent[]): Promise<(IngestedEvent & { profileId: string })[]> {
    const unresolved = events.filter((event) => !event.profileId);
    const links = new Map<string, string>();
    if (unresolved.length) {
      const identities = uniqueIdentities(unresolved.flatMap(identitiesOf));
      await lockIdentities(manager, projectId, identities);
      const rows = (await manager.query(
        `SELECT kind, value, profile_id FROM identity_link l JOIN unnest($2::text[], $3::text[]) AS i(kind, value) USING (kind, value) WHERE l.project_id = $1`,
        [projectId, identities.map((i) => i.kind), identities.map((i) => i.value)],
      )) as { kind: string; value: string; profile_id: string }[];
      for (const row of rows) links.set(`${row.kind}:${row.value}`, row.profile_id);
    }
    const resolved: (IngestedEvent & { profileId: string })[] = [];
    const parked: { identity: Identity; event: IngestedEvent }[] = [];
    for (const event of events) {
      if (event.profileId) {
        resolved.push(event as IngestedEvent & { profileId: string });
        continue;
      }
      const identities = identitiesOf(event);
      const profileId = identities.map((identity) => links.get(`${identity.kind}:${identity.value}`)).find(Boolean);
      if (profileId) resolved.push({ ...event, profileId });
      else if (identities.length) parked.push({ identity: identities[0]!, event });
    }
    if (parked.length)
      await manager.query(
        `INSERT INTO pending_event (project_id, kind, value, event) SELECT $1, p.kind, p.value, p.event FROM jsonb_to_recordset($2::jsonb) AS p(kind text, value text, event jsonb)`,
        [projectId, JSON.stringify(parked.map((p) => ({ kind: p.identity.kind, value: p.identity.value, event: p.event })))],
      );
    return resolved;
  }

  /** A profile answers to these ids: link them, and apply the events that waited for them. */
  async identified(manager: EntityManager, body: MessageOf<typeof ProfileIdentified>): Promise<void> {
    const { projectId, profileId } = body;
    const identities = uniqueIdentities([...(body.userId ? [{ kind: 'user' as const, value: body.userId }] : []), ...body.anonymousIds.map((value) => ({ kind: 'anonymous' as const, value }))]);
    if (identities.length === 0) return;
    await this.catalog.lockShared(manager, projectId);
    await lockIdentities(manager, projectId, identities);
    await manager.query(
      `INSERT INTO identity_link (project_id, kind, value, profile_id) SELECT $1, kind, value, $4 FROM unnest($2::text[], $3::text[]) AS i(kind, value)
       ON CONFLICT (project_id, kind, value) DO UPDATE SET profile_id = EXCLUDED.profile_id`,
      [projectId, identities.map((i) => i.kind), identities.map((i) => i.value), profileId],
    );
    // A DELETE … RETURNING answers [rows, count] through TypeORM.
    const [waiting] = (await manager.query(
      `DELETE FROM pending_event p USING unnest($2::text[], $3::text[]) AS i(kind, value)
       WHERE p.project_id = $1 AND p.kind = i.kind AND p.value = i.value RETURNING p.id, p.event`,
      [projectId, identities.map((i) => i.kind), identities.map((i) => i.value)],
    )) as [{ id: string; event: IngestedEvent }[], number];
    if (waiting.length === 0) return;
    waiting.sort((a, b) => Number(a.id) - Number(b.id));
    await this.apply(
      manager,
      projectId,
      waiting.map((row) => ({ ...row.event, profileId })),
    );
  }
}

function identitiesOf(event: IngestedEvent): Identity[] {
  return [...(event.userId ? [{ kind: 'user' as const, value: event.userId }] : []), ...(event.anonymousId ? [{ kind: 'anonymous' as const, value: event.anonymousId }] : [])];
}

function uniqueIdentities(identities: readonly Identity[]): Identity[] {
  return [...new Map(identities.map((identity) => [`${identity.kind}:${identity.value}`, identity])).values()].sort((a, b) =>
    `${a.kind}:${a.value}` < `${b.kind}:${b.value}` ? -1 : 1,
  );
}

/** Parking an event and linking its identity exclude each other, so neither misses the other. */
async function lockIdentities(manager: EntityManager, projectId: string, identities: readonly Identity[]): Promise<void> {
  if (identities.length === 0) return;
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || k || ':' || v, 1)) FROM unnest($2::text[], $3::text[]) AS i(k, v) ORDER BY k, v`, [
    projectId,
    identities.map((i) => i.kind),
    identities.map((i) => i.value),
  ]);
}

function indexByEventName(leaves: ReadonlyMap<string, StoredLeaf>): Map<string, StoredLeaf[]> {
  const index = new Map<string, StoredLeaf[]>();
  for (const leaf of leaves.values()) {
    if (!leaf.spec) continue;
    for (const name of new Set(leaf.spec.steps.map((step) => step.name))) index.set(name, [...(index.get(name) ?? []), leaf]);
  }
  return index;
}
