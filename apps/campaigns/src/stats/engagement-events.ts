import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventsIngested, type MessageOf } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import type { EngagementKind } from './engagement-ledger.js';

export const ENGAGEMENT_EVENTS_DURABLE = 'campaigns-engagement-events';

/** The events channels report on a profile (with `campaignId` in their properties), as stats count them. */
export const ENGAGEMENT_EVENT_KINDS: Readonly<Record<string, EngagementKind>> = {
  'Email Sent': 'sent',
  'Email Delivered': 'delivered',
  'Email Opened': 'opened',
  'Email Clicked': 'clicked',
  'Email Bounced': 'bounced',
  'Email Unsubscribed': 'unsubscribed',
  'Email Failed': 'failed',
  'In-App Viewed': 'opened',
  'In-App Clicked': 'clicked',
  'In-App Dismissed': 'dismissed',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads engagement back into `campaign_engagement` from the event stream: email's delivery
 * reports arrive as verified `Email …` events (events turns EmailEngagement into them), in-app
 * ones as the client's `In-App …` events. Only a profile the campaign sent to counts, so an
 * event naming another campaign changes nothing. Messages that arrived together are handled in one
 * transaction (every ingest call is a message: at ingest capacity, hundreds a second), with one
 * statement per project that has engagement events among them and none for the rest.
 */
@Injectable()
export class EngagementEvents {
  constructor(lifecycle: MessagingLifecycle) {
    lifecycle.register({
      durable: ENGAGEMENT_EVENTS_DURABLE,
      contract: EventsIngested,
      handle: (body, { manager }) => this.record(manager, [body]),
      handleBatch: (messages, manager) =>
        this.record(
          manager,
          messages.map((message) => message.body),
        ),
    });
  }

  /** `bodies`: one message, or the messages handled together. */
  async record(manager: EntityManager, bodies: readonly MessageOf<typeof EventsIngested>[]): Promise<void> {
    const byProject = new Map<string, { kind: EngagementKind; campaignId: string; profileId: string; at: string }[]>();
    for (const body of bodies) {
      for (const event of body.events) {
        const kind = ENGAGEMENT_EVENT_KINDS[event.name];
        const campaignId = event.properties.campaignId;
        if (!kind || !event.profileId || typeof campaignId !== 'string' || !UUID.test(campaignId)) continue;
        const facts = byProject.get(body.projectId) ?? byProject.set(body.projectId, []).get(body.projectId)!;
        facts.push({ kind, campaignId, profileId: event.profileId, at: event.timestamp });
      }
    }
    // Projects in one order, so two consumers' transactions take row locks in the same order.
    for (const [projectId, facts] of [...byProject].sort(([a], [b]) => a.localeCompare(b))) await this.insert(manager, projectId, facts);
  }

  private async insert(manager: EntityManager, projectId: string, facts: readonly { kind: EngagementKind; campaignId: string; profileId: string; at: string }[]): Promise<void> {
    await manager.query(
      `INSERT INTO campaign_engagement (campaign_id, profile_id, kind, project_id, first_at, times)
       SELECT f.campaign_id, f.profile_id, f.kind, $1, min(f.at), count(*)
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[]) AS f (campaign_id, profile_id, kind, at)
       WHERE EXISTS (SELECT 1 FROM campaign_delivery d WHERE d.project_id = $1 AND d.campaign_id = f.campaign_id AND d.profile_id = f.profile_id AND d.outcome = 'requested')
       GROUP BY f.campaign_id, f.profile_id, f.kind
       ON CONFLICT (campaign_id, profile_id, kind) DO UPDATE SET times = campaign_engagement.times + EXCLUDED.times, first_at = least(campaign_engagement.first_at, EXCLUDED.first_at)`,
      [projectId, facts.map((f) => f.campaignId), facts.map((f) => f.profileId), facts.map((f) => f.kind), facts.map((f) => f.at)],
    );
  }
}
