import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventsAttached, EventsIngested, type MessageOf } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';

export const GOAL_EVENTS_DURABLE = 'campaigns-goal-events';
export const GOAL_ATTACHED_DURABLE = 'campaigns-goal-attached';

/**
 * Counts conversions: an ingested event that is a campaign's goal, done by a profile the campaign
 * sent to (or held in its control group) within the goal's days after that decision, converts the
 * profile for that campaign once (its earliest such event). Messages that arrived together are
 * handled in one transaction, one statement per project among them.
 * An event tracked before its identity was known converts when events attaches it to its profile
 * (EventsAttached); the window is the event's own time, so a late attach converts only if the event
 * was within the goal's days.
 */
@Injectable()
export class GoalConversions {
  constructor(lifecycle: MessagingLifecycle) {
    lifecycle.register({
      durable: GOAL_EVENTS_DURABLE,
      contract: EventsIngested,
      handle: (body, { manager }) => this.record(manager, [body]),
      handleBatch: (messages, manager) =>
        this.record(
          manager,
          messages.map((message) => message.body),
        ),
    });
    lifecycle.register({
      durable: GOAL_ATTACHED_DURABLE,
      contract: EventsAttached,
      handle: (body, { manager }) => this.record(manager, [body]),
      handleBatch: (messages, manager) =>
        this.record(
          manager,
          messages.map((message) => message.body),
        ),
    });
  }

  /** `bodies`: one message, or the messages handled together. */
  async record(manager: EntityManager, bodies: readonly (MessageOf<typeof EventsIngested> | MessageOf<typeof EventsAttached>)[]): Promise<void> {
    const byProject = new Map<string, (typeof bodies)[number]['events'][number][]>();
    for (const body of bodies) {
      const events = body.events.filter((event) => event.profileId !== null);
      if (events.length === 0) continue;
      const held = byProject.get(body.projectId);
      if (held) held.push(...events);
      else byProject.set(body.projectId, events);
    }
    // Projects in one order, so two consumers' transactions take row locks in the same order.
    for (const [projectId, events] of [...byProject].sort(([a], [b]) => a.localeCompare(b))) await this.convert(manager, projectId, events);
  }

  private async convert(manager: EntityManager, projectId: string, events: readonly (MessageOf<typeof EventsIngested> | MessageOf<typeof EventsAttached>)['events'][number][]): Promise<void> {
    await manager.query(
      `INSERT INTO campaign_conversion (campaign_id, profile_id, project_id, control, converted_at, event_id)
       SELECT DISTINCT ON (c.id, e.profile_id) c.id, e.profile_id, c.project_id, d.outcome = 'skipped', e.at, e.event_id
       FROM unnest($2::text[], $3::uuid[], $4::timestamptz[], $5::uuid[]) AS e (name, profile_id, at, event_id)
       JOIN campaign c ON c.project_id = $1 AND c.goal_event = e.name
       JOIN campaign_delivery d ON d.campaign_id = c.id AND d.profile_id = e.profile_id
         AND (d.outcome = 'requested' OR d.reason = 'CONTROL_GROUP')
         AND e.at >= d.decided_at AND e.at < d.decided_at + make_interval(days => c.goal_days)
       ORDER BY c.id, e.profile_id, e.at
       ON CONFLICT (campaign_id, profile_id) DO NOTHING`,
      [projectId, events.map((event) => event.name), events.map((event) => event.profileId), events.map((event) => event.timestamp), events.map((event) => event.eventId)],
    );
  }
}
