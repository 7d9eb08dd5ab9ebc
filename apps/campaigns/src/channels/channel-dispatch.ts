import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignChannel } from '../campaigns/campaign.model.js';
import { InAppChannel } from '../in-app/in-app-channel.js';
import { WebhookChannel } from '../webhooks/webhook-channel.js';
import type { CampaignSend } from './campaign-send.js';
import { EmailChannel } from './email-channel.js';

/**
 * The publish step of every campaign send, scheduled or triggered: hands the sends just decided
 * to the campaign's channel, in the caller's transaction (so a send exists exactly when its
 * decision does). Each channel is idempotent on the send's key.
 */
@Injectable()
export class ChannelDispatch {
  constructor(
    private readonly email: EmailChannel,
    private readonly inApp: InAppChannel,
    private readonly webhook: WebhookChannel,
  ) {}

  async dispatch(manager: EntityManager, campaign: CampaignEntity, sends: readonly CampaignSend[], now: Date): Promise<void> {
    if (sends.length === 0) return;
    switch (campaign.channel) {
      case CampaignChannel.EMAIL:
        return this.email.send(manager, campaign, sends, now);
      case CampaignChannel.IN_APP:
        return this.inApp.send(manager, campaign, sends, now);
      case CampaignChannel.WEBHOOK:
        return this.webhook.send(manager, campaign, sends, now);
    }
  }
}
