import { Module } from '@nestjs/common';
import { configProvider } from '@boomerang/platform/config';
import { ClockModule } from '../clock.module.js';
import { StatsModule } from '../stats/stats.module.js';
import { InAppChannel } from './in-app-channel.js';
import { CAMPAIGN_IN_APP_CONFIG, campaignInAppEnv } from './in-app-config.js';
import { InAppLiveTokens } from './in-app-live-tokens.js';
import { InAppLiveServer } from './in-app-live.server.js';
import { InAppMessagesResolver } from './in-app-messages.resolver.js';
import { InAppMessages } from './in-app-messages.service.js';

/** IN_APP campaigns: per-profile messages, read by the client with its publishable key and a user token, or pushed on the live socket. */
@Module({
  imports: [ClockModule, StatsModule],
  providers: [configProvider(CAMPAIGN_IN_APP_CONFIG, campaignInAppEnv), InAppChannel, InAppMessages, InAppMessagesResolver, InAppLiveTokens, InAppLiveServer],
  exports: [InAppChannel, InAppMessages],
})
export class InAppModule {}
