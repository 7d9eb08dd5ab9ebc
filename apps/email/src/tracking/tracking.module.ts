import { Module } from '@nestjs/common';
import { SuppressionsModule } from '../suppressions/suppressions.module.js';
import { EmailEngagements } from './email-engagements.js';
import { InboundMailListener } from './inbound-mail.listener.js';
import { TrackingController } from './tracking.controller.js';
import { TrackingUrls } from './tracking-urls.js';

/** Opens, clicks, unsubscribes and bounces of sent messages: signed URLs, their routes, and what they record. */
@Module({
  imports: [SuppressionsModule],
  controllers: [TrackingController],
  providers: [TrackingUrls, EmailEngagements, InboundMailListener],
  exports: [TrackingUrls, EmailEngagements],
})
export class TrackingModule {}
