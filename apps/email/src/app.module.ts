import { Module } from '@nestjs/common';
import { SubgraphModule } from '@boomerang/platform/subgraph';
import { EmailConfigModule } from './email-config.js';
import { EMAIL_MIGRATIONS } from './migrations/email-migrations.js';
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
