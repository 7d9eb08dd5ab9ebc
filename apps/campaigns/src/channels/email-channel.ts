import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EmailSendRequested, type MessageOf } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import type { CampaignSend } from './campaign-send.js';

/** EMAIL: one `EmailSendRequested` per send through the outbox (Nats-Msg-Id = the idempotency key); email renders, sends and reports back. */
@Injectable()
export class EmailChannel {
  constructor(private readonly outbox: OutboxWriter) {}

  async send(manager: EntityManager, campaign: CampaignEntity, sends: readonly CampaignSend[], now: Date): Promise<void> {
    if (!campaign.templateId || !campaign.templateVersion) throw new Error(`campaign ${campaign.id} has no email template`);
    const occurredAt = now.toISOString();
    const bodies: MessageOf<typeof EmailSendRequested>[] = sends.map((send) => ({
      projectId: campaign.projectId,
      occurredAt,
      templateId: campaign.templateId!,
      templateVersion: campaign.templateVersion!,
      profileId: send.profileId,
      campaignId: campaign.id,
      journeyId: null,
      idempotencyKey: send.idempotencyKey,
      ...(send.event ? { event: send.event } : {}),
      campaign: { id: campaign.id, name: campaign.name, occurrenceAt: send.occurrenceAt.toISOString(), ...(send.variant ? { variant: send.variant } : {}) },
    }));
    await this.outbox.enqueueMany(manager, EmailSendRequested, bodies, bodies.map((body) => body.idempotencyKey));
  }
}
