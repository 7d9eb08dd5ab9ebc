import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { SuppressionsModule } from '../suppressions/suppressions.module.js';
import { TemplatesModule } from '../templates/templates.module.js';
import { TrackingModule } from '../tracking/tracking.module.js';
import { EmailSendResolver } from './email-send.resolver.js';
import { EmailSends } from './email-sends.js';
import { ProfileEmailsResolver } from './profile-emails.resolver.js';
import { RenderThreads } from './render-threads.js';
import { SendDispatcher } from './send-dispatcher.js';
import { SendTestEmail } from './send-test-email.js';
import { SendRequestsConsumer } from './send-requests.consumer.js';
import { SenderSettingsResolver } from './sender-settings.resolver.js';
import { SenderSettingsService } from './sender-settings.service.js';
import { SmtpTransports } from './smtp-transports.js';

/** Send commands in, SMTP out: sender settings, the dispatcher, its render threads, the pooled transports (consumer email-send-requested). */
@Module({
  imports: [ProfilesModule, SuppressionsModule, TemplatesModule, TrackingModule],
  providers: [EmailSends, EmailSendResolver, ProfileEmailsResolver, SendTestEmail, SenderSettingsService, SenderSettingsResolver, SmtpTransports, RenderThreads, SendDispatcher, SendRequestsConsumer],
  exports: [SendDispatcher, SenderSettingsService, SmtpTransports],
})
export class SendingModule {}
