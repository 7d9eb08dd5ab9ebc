import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { EmailComposer } from './email-composer.js';
import { EmailTemplateResolver } from './email-template.resolver.js';
import { EmailTemplateService } from './email-template.service.js';

/** Versioned Liquid + MJML/HTML templates with Gmail annotations; rendering for previews and sends. */
@Module({
  imports: [ProfilesModule],
  providers: [EmailComposer, EmailTemplateService, EmailTemplateResolver],
  exports: [EmailComposer, EmailTemplateService],
})
export class TemplatesModule {}
