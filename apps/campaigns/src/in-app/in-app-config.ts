import { z } from 'zod';

/** campaigns' settings for in-app messages, beside the platform ones SubgraphModule loads. */
export const campaignInAppEnv = z.object({
  /** Base URL clients reach campaigns' listener at for the live in-app socket; default: the listener itself. */
  CAMPAIGNS_PUBLIC_URL: z.string().url().optional(),
});

export type CampaignInAppConfig = z.infer<typeof campaignInAppEnv>;

export const CAMPAIGN_IN_APP_CONFIG = Symbol('CAMPAIGN_IN_APP_CONFIG');
