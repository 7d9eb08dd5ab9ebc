import { Module } from '@nestjs/common';
import { InAppModule } from '../in-app/in-app.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { CampaignChannelsResolver } from './campaign-channels.resolver.js';
import { ChannelDispatch } from './channel-dispatch.js';
import { EmailChannel } from './email-channel.js';

/** How campaign sends leave: ChannelDispatch hands each decided send to its channel (email, in-app, webhook). */
@Module({
  imports: [InAppModule, WebhooksModule],
  providers: [EmailChannel, ChannelDispatch, CampaignChannelsResolver],
  exports: [ChannelDispatch],
})
export class ChannelsModule {}
