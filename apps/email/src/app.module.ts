import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { SubgraphModule } from '@boomerang/platform/subgraph';
import { EmailConfigModule } from './email-config.js';
import { CreateEmailTemplates1763900000700 } from './migrations/1763900000700-create-email-templates.js';
import { EmailTemplateVersions1763900010700 } from './migrations/1763900010700-email-template-versions.js';
import { EmailProfiles1763900010800 } from './migrations/1763900010800-email-profiles.js';
import { EmailSending1763900010900 } from './migrations/1763900010900-email-sending.js';
import { EmailSendInFlight1763900011000 } from './migrations/1763900011000-email-send-in-flight.js';
import { EmailTracking1763900011100 } from './migrations/1763900011100-email-tracking.js';
import { EmailSuppressionList1763900011200 } from './migrations/1763900011200-email-suppression-list.js';
import { EmailSendHotMark1763900011400 } from './migrations/1763900011400-email-send-hot-mark.js';
import { EmailProfileEntity } from './profiles/email-profile.entity.js';
import { ProfilesModule } from './profiles/profiles.module.js';
import { EmailSendEntity } from './sending/email-send.entity.js';
import { ProfileReference } from './sending/email-send.model.js';
import { SenderSettingsEntity } from './sending/sender-settings.entity.js';
import { SendingModule } from './sending/sending.module.js';
import { SuppressionEntity } from './suppressions/suppression.entity.js';
import { SuppressionsModule } from './suppressions/suppressions.module.js';
import { EmailTemplateVersionEntity } from './templates/email-template-version.entity.js';
import { EmailTemplateEntity } from './templates/email-template.entity.js';
import { TemplatesModule } from './templates/templates.module.js';
import { TrackingModule } from './tracking/tracking.module.js';

export const EMAIL_ENTITIES = [EmailTemplateEntity, EmailTemplateVersionEntity, EmailProfileEntity, SenderSettingsEntity, EmailSendEntity, SuppressionEntity];
export const EMAIL_MIGRATIONS = [
  MessagingTables1763900000000,
  OutboxBatches1763900009000,
  CreateEmailTemplates1763900000700,
  EmailTemplateVersions1763900010700,
  EmailProfiles1763900010800,
  EmailSending1763900010900,
  EmailSendInFlight1763900011000,
  EmailTracking1763900011100,
  EmailSuppressionList1763900011200,
  EmailSendHotMark1763900011400,
];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'email',
      defaultPort: 4107,
      entities: EMAIL_ENTITIES,
      migrations: EMAIL_MIGRATIONS,
      // Profile is only extended here (Profile.emails), never returned by a root field.
      orphanedTypes: [ProfileReference],
      ownsStream: 'email',
    }),
    EmailConfigModule,
    ProfilesModule,
    TemplatesModule,
    SuppressionsModule,
    SendingModule,
    TrackingModule,
  ],
})
export class AppModule {}
