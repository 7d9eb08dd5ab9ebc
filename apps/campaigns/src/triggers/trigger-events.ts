import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { matchesAll } from '@boomerang/audience';
import { EventsAttached, EventsIngested, SegmentMembershipChanged, type IngestedEvent, type MessageOf } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { TriggerFiring } from './trigger-firing.js';

export const TRIGGER_EVENTS_DURABLE = 'campaigns-trigger-events';
export const TRIGGER_SEGMENTS_DURABLE = 'campaigns-trigger-segments';
export const TRIGGER_ATTACHED_DURABLE = 'campaigns-trigger-attached';

/**
 * An event attached to its profile after the fact (EventsAttached: tracked before its identity
 * was linked) fires a trigger only when the send it causes (its time + the trigger's delay) would
 * be due at most this long before the attach: the identify that follows a sign-up in the same
 * flush fires the welcome, an anonymous visit from last week identified today fires nothing.
 */
export const ATTACHED_MAX_LATENESS_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** A batch of events as both contracts carry it. */
type EventBatch = { projectId: string; occurredAt: string; events: readonly IngestedEvent[] };

/**
 * What fires triggered campaigns: ingested events (the trigger event with its conditions, and the
 * `since` events waiting firings look for) and segment entries and exits, each from its own
 * durable consumer with an inbox (a redelivered message is not handled twice). Event names seen
 * are remembered per project (`campaign_event_name`) for the warning on a trigger nobody does.
 * Events attached to their profile later (EventsAttached) go the same way, from their own durable:
 * the fire id derives from the event id, so an event seen both ways fires once.
 */
/** `project name` pairs known to be stored that an instance keeps (past it, it starts over). */
const STORED_NAMES_CACHED = 50_000;

@Injectable()
export class TriggerEvents {
  /** `campaign_event_name` rows known to be committed (`<projectId> <name>`). */
  private readonly storedNames = new Set<string>();

  constructor(
    lifecycle: MessagingLifecycle,
    private readonly firing: TriggerFiring,
  ) {
    // Messages that arrived together are handled in one transaction (one look-up of the sending
    // campaigns, one commit): under a busy stream a probe's message does not queue behind one
    // transaction per earlier message.
    lifecycle.register({
      durable: TRIGGER_EVENTS_DURABLE,
      contract: EventsIngested,
      handle: (body, { manager }) => this.onEvents(manager, [body]),
      handleBatch: (messages, manager) => this.onEvents(manager, messages.map((message) => message.body)),
    });
    lifecycle.register({
      durable: TRIGGER_ATTACHED_DURABLE,
      contract: EventsAttached,
      handle: (body, { manager }) => this.onAttached(manager, [body]),
      handleBatch: (messages, manager) => this.onAttached(manager, messages.map((message) => message.body)),
    });
    lifecycle.register({ durable: TRIGGER_SEGMENTS_DURABLE, contract: SegmentMembershipChanged, handle: (body, { manager, messageId }) => this.onMembership(manager, body, messageId) });
  }

  /** `bodies` in stream order (one message, or the messages handled together). */
  async onEvents(manager: EntityManager, bodies: readonly MessageOf<typeof EventsIngested>[]): Promise<void> {
    await this.noteNames(manager, bodies);
    await this.react(manager, bodies, false);
  }

  /** Events attached to their profile after their ingest (their names were noted then). */
  async onAttached(manager: EntityManager, bodies: readonly MessageOf<typeof EventsAttached>[]): Promise<void> {
    await this.react(manager, bodies, true);
  }

  private async react(manager: EntityManager, bodies: readonly EventBatch[], attached: boolean): Promise<void> {
    const campaignsOf = new Map<string, CampaignEntity[]>();
    for (const body of bodies) {
      let campaigns = campaignsOf.get(body.projectId);
      if (!campaigns) {
        campaigns = (await this.firing.reactingCampaigns(manager, body.projectId)).filter((campaign) => campaign.trigger!.event || campaign.trigger!.since);
        campaignsOf.set(body.projectId, campaigns);
      }
      if (campaigns.length > 0) await this.fireFor(manager, campaigns, body, attached);
    }
  }

  /**
   * Remembers the event names seen. A busy stream repeats the same few names: those known to be
   * stored already (committed: an INSERT that conflicted with them) are not written again, so most
   * batches skip the statement.
   */
  private async noteNames(manager: EntityManager, bodies: readonly MessageOf<typeof EventsIngested>[]): Promise<void> {
    const pairs = new Set(bodies.flatMap((body) => body.events.map((event) => `${body.projectId} ${event.name}`)));
    const fresh = [...pairs].filter((pair) => !this.storedNames.has(pair)).map((pair) => [pair.slice(0, pair.indexOf(' ')), pair.slice(pair.indexOf(' ') + 1)] as const);
    if (fresh.length === 0) return;
    const inserted = (await manager.query(
      `INSERT INTO campaign_event_name (project_id, name) SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING RETURNING project_id, name`,
      [fresh.map(([projectId]) => projectId), fresh.map(([, name]) => name)],
    )) as { project_id: string; name: string }[];
    // Rows this transaction wrote are known only once it commits; the others conflicted with stored ones.
    const written = new Set(inserted.map((row) => `${row.project_id} ${row.name}`));
    if (this.storedNames.size + fresh.length > STORED_NAMES_CACHED) this.storedNames.clear();
    for (const [projectId, name] of fresh) if (!written.has(`${projectId} ${name}`)) this.storedNames.add(`${projectId} ${name}`);
  }

  /**
   * `attached`: the events were announced again when attached (`body.occurredAt`); each counts as
   * announced when it happened (one before the campaign started reacting fires nothing), and one
   * whose send would be due more than ATTACHED_MAX_LATENESS_MS before the attach fires nothing.
   */
  private async fireFor(manager: EntityManager, campaigns: readonly CampaignEntity[], body: EventBatch, attached: boolean): Promise<void> {
    const occurredAt = new Date(body.occurredAt);
    for (const event of body.events) {
      if (!event.profileId) continue;
      const at = new Date(event.timestamp);
      const announcedAt = attached ? at : occurredAt;
      for (const campaign of campaigns) {
        const { since, event: on } = campaign.trigger!;
        if (since && since.event === event.name && matchesAll(since.where, event.properties)) await this.firing.followedUp(manager, campaign, event.profileId, at);
        if (on && on.name === event.name && matchesAll(on.where, event.properties)) {
          if (attached && at.getTime() + campaign.trigger!.delayMinutes * MINUTE_MS < occurredAt.getTime() - ATTACHED_MAX_LATENESS_MS) continue;
          await this.firing.fire(manager, campaign, event.profileId, { id: `event:${event.eventId}`, triggeredAt: at, announcedAt, event: event.properties });
        }
      }
    }
  }

  async onMembership(manager: EntityManager, body: MessageOf<typeof SegmentMembershipChanged>, messageId: string): Promise<void> {
    const campaigns = (await this.firing.reactingCampaigns(manager, body.projectId)).filter(
      (campaign) => campaign.trigger!.segment?.segmentId === body.segmentId && campaign.trigger!.segment.change === body.change,
    );
    const at = new Date(body.occurredAt);
    for (const campaign of campaigns) await this.firing.fire(manager, campaign, body.profileId, { id: `segment:${messageId}`, triggeredAt: at, announcedAt: at, event: null });
  }
}
