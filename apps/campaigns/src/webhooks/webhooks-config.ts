import { z } from 'zod';

/** campaigns' settings for webhook deliveries, beside the platform ones SubgraphModule loads. */
export const campaignWebhooksEnv = z.object({
  /** Attempts per message before it is dead-lettered. */
  CAMPAIGNS_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** The first retry's delay; each later one doubles (pg-boss backoff). */
  CAMPAIGNS_WEBHOOK_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  CAMPAIGNS_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** `true`: webhook URLs may reach loopback, private, link-local and metadata addresses (development and tests only). */
  CAMPAIGNS_WEBHOOK_ALLOW_PRIVATE_URLS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export type CampaignWebhooksConfig = z.infer<typeof campaignWebhooksEnv>;

export const CAMPAIGN_WEBHOOKS_CONFIG = Symbol('CAMPAIGN_WEBHOOKS_CONFIG');
