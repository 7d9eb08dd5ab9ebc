import { Module } from '@nestjs/common';
import { MessagingTables1763900000000, OutboxBatches1763900009000 } from '@boomerang/platform/messaging';
import { SubgraphModule } from '@boomerang/platform/subgraph';
import { CreateEmailTemplates1763900000700 } from './migrations/1763900000700-create-email-templates.js';
import { EmailTemplateEntity } from './templates/email-template.entity.js';
import { EmailTemplateResolver } from './templates/email-template.resolver.js';
import { EmailTemplateService } from './templates/email-template.service.js';
import { TemplateEngine } from './templates/template-engine.js';

export const EMAIL_ENTITIES = [EmailTemplateEntity];
export const EMAIL_MIGRATIONS = [MessagingTables1763900000000, OutboxBatches1763900009000, CreateEmailTemplates1763900000700];

@Module({
  imports: [
    SubgraphModule.forRoot({
      service: 'email',
      defaultPort: 4107,
      entities: EMAIL_ENTITIES,
      migrations: EMAIL_MIGRATIONS,
      ownsStream: 'email',
    }),
  ],
  providers: [TemplateEngine, EmailTemplateService, EmailTemplateResolver],
})
export class AppModule {}
