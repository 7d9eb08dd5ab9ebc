import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import type { CampaignSend } from '../channels/campaign-send.js';
import { EngagementLedger } from '../stats/engagement-ledger.js';

const HOUR_MS = 3_600_000;
/** NOTIFY channel: delivered on commit only, to every campaigns instance (the live in-app socket listens). */
export const IN_APP_NOTIFY_CHANNEL = 'campaigns_in_app_message';

/** IN_APP: one message row per send (the campaign's content as it was), read by `inAppMessages` and pushed live on commit. */
@Injectable()
export class InAppChannel {
  constructor(private readonly ledger: EngagementLedger) {}

  async send(manager: EntityManager, campaign: CampaignEntity, sends: readonly CampaignSend[], now: Date): Promise<void> {
    const content = campaign.inApp;
    if (!content) throw new Error(`campaign ${campaign.id} has no in-app content`);
    const expiresAt = content.expiresInHours ? new Date(now.getTime() + content.expiresInHours * HOUR_MS) : null;
    const inserted = (await manager.query(
      `INSERT INTO campaign_in_app_message (id, project_id, campaign_id, profile_id, idempotency_key, variant, content, created_at, expires_at)
       SELECT gen_random_uuid(), $1, $2, s.profile_id, s.key, s.variant, $3::jsonb, $4, $5
       FROM unnest($6::uuid[], $7::text[], $8::text[]) AS s (profile_id, key, variant)
       ON CONFLICT (project_id, idempotency_key) DO NOTHING
       RETURNING id, profile_id`,
      [
        campaign.projectId,
        campaign.id,
        JSON.stringify(content),
        now,
        expiresAt,
        sends.map((send) => send.profileId),
        sends.map((send) => send.idempotencyKey),
        sends.map((send) => send.variant ?? null),
      ],
    )) as { id: string; profile_id: string }[];
    if (inserted.length === 0) return;
    await this.ledger.record(manager, campaign.projectId, campaign.id, 'sent', inserted.map((row) => row.profile_id), now);
    await manager.query(`SELECT pg_notify($1, $2)`, [IN_APP_NOTIFY_CHANNEL, JSON.stringify({ projectId: campaign.projectId, ids: inserted.map((row) => row.id) })]);
  }
}
