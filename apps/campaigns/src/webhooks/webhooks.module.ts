import { Module } from '@nestjs/common';
import { configProvider } from '@boomerang/platform/config';
import { ClockModule } from '../clock.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { StatsModule } from '../stats/stats.module.js';
import { DeliverWebhook } from './deliver-webhook.js';
import { WebhookChannel } from './webhook-channel.js';
import { CAMPAIGN_WEBHOOKS_CONFIG, campaignWebhooksEnv } from './webhooks-config.js';

/** WEBHOOK campaigns: deliveries as durable jobs, signed POSTs, retries and dead letters. */
@Module({
  imports: [ClockModule, JobsModule, StatsModule],
  providers: [configProvider(CAMPAIGN_WEBHOOKS_CONFIG, campaignWebhooksEnv), WebhookChannel, DeliverWebhook],
  exports: [WebhookChannel],
})
export class WebhooksModule {}
