import { Module } from '@nestjs/common';
import { ClockModule } from '../clock.module.js';
import { StatsModule } from '../stats/stats.module.js';
import { InAppChannel } from './in-app-channel.js';
import { InAppMessagesResolver } from './in-app-messages.resolver.js';
import { InAppMessages } from './in-app-messages.service.js';

/** IN_APP campaigns: per-profile messages, read by the client with its publishable key and a user token. */
@Module({
  imports: [ClockModule, StatsModule],
  providers: [InAppChannel, InAppMessages, InAppMessagesResolver],
  exports: [InAppChannel, InAppMessages],
})
export class InAppModule {}
