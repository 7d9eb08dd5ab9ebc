import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import type { CampaignSend } from '../channels/campaign-send.js';
import { CampaignJobs } from '../jobs/campaign-jobs.js';

export const WEBHOOK_QUEUE = 'campaign-webhook';

export interface WebhookJob {
  projectId: string;
  deliveryId: string;
}

/** The JSON a campaign webhook receives (Standard Webhooks shape: type, timestamp, data). */
export interface CampaignWebhookPayload {
  type: 'campaign.message';
  timestamp: string;
  data: {
    campaignId: string;
    campaignName: string;
    profileId: string;
    occurrenceAt: string;
    variant: string | null;
    event: Record<string, unknown> | null;
    custom: Record<string, unknown>;
  };
}

/** WEBHOOK: one `campaign_webhook_delivery` row per send and a durable job that POSTs it (retried with backoff, dead-lettered after the last attempt). */
@Injectable()
export class WebhookChannel {
  constructor(private readonly jobs: CampaignJobs) {}

  async send(manager: EntityManager, campaign: CampaignEntity, sends: readonly CampaignSend[], now: Date): Promise<void> {
    const target = campaign.webhook;
    if (!target) throw new Error(`campaign ${campaign.id} has no webhook`);
    const payloads = sends.map(
      (send): CampaignWebhookPayload => ({
        type: 'campaign.message',
        timestamp: now.toISOString(),
        data: {
          campaignId: campaign.id,
          campaignName: campaign.name,
          profileId: send.profileId,
          occurrenceAt: send.occurrenceAt.toISOString(),
          variant: send.variant ?? null,
          event: send.event ?? null,
          custom: target.custom,
        },
      }),
    );
    const inserted = (await manager.query(
      `INSERT INTO campaign_webhook_delivery (id, project_id, campaign_id, profile_id, idempotency_key, url, payload, created_at)
       SELECT gen_random_uuid(), $1, $2, s.profile_id, s.key, $3, s.payload, $4
       FROM unnest($5::uuid[], $6::text[], $7::jsonb[]) AS s (profile_id, key, payload)
       ON CONFLICT (project_id, idempotency_key) DO NOTHING
       RETURNING id`,
      [
        campaign.projectId,
        campaign.id,
        target.url,
        now,
        sends.map((send) => send.profileId),
        sends.map((send) => send.idempotencyKey),
        payloads.map((payload) => JSON.stringify(payload)),
      ],
    )) as { id: string }[];
    for (const { id } of inserted) await this.jobs.schedule<WebhookJob>(WEBHOOK_QUEUE, { projectId: campaign.projectId, deliveryId: id }, { id, manager });
  }
}
