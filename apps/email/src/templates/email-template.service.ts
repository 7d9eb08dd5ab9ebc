import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { EmailTemplateCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { isUuid } from '@boomerang/platform/subgraph';
import { EmailProfiles } from '../profiles/email-profiles.js';
import type { CreateEmailTemplateInput } from './dto/create-email-template.input.js';
import type { UpdateEmailTemplateInput } from './dto/update-email-template.input.js';
import { ComposeError, ContentError, EmailComposer, personalizationScope, type ComposedEmail, type EmailContent } from './email-composer.js';
import { EmailTemplateVersionEntity } from './email-template-version.entity.js';
import { EmailTemplateEntity } from './email-template.entity.js';
import { EmailTemplateError, EmailTemplateErrorCode } from './email-template.errors.js';
import type { EmailTemplate, EmailTemplateVersion } from './email-template.model.js';
import { loadPromotion, storePromotion } from './promotion-storage.js';

/** The input fields a version cannot be without (an update may leave them out, not set them to null). */
const REQUIRED_FIELDS = ['name', 'subject', 'htmlBody'] as const;

@Injectable()
export class EmailTemplateService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly composer: EmailComposer,
    private readonly profiles: EmailProfiles,
  ) {}

  /** Stores a template (version 1) once every part compiles, and announces it. */
  async create(projectId: string, input: CreateEmailTemplateInput): Promise<EmailTemplate> {
    const content = contentOf(input);
    const layout = await this.compile(content);
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      await manager.insert(EmailTemplateEntity, { id, projectId, name: input.name, version: 1 });
      const version = await this.insertVersion(manager, projectId, id, 1, content, layout);
      const template = await manager.findOneByOrFail(EmailTemplateEntity, { id, projectId });
      await this.outbox.enqueue(manager, EmailTemplateCreated, { projectId, occurredAt: template.createdAt.toISOString(), templateId: id, name: template.name });
      return templateView(template, version);
    });
  }

  /** Adds a version: the current one with `input`'s fields changed. Earlier versions stay as they were. */
  async update(projectId: string, id: string, input: UpdateEmailTemplateInput): Promise<EmailTemplate> {
    for (const field of REQUIRED_FIELDS) {
      if (input[field] === null) throw new EmailTemplateError(EmailTemplateErrorCode.RequiredField, `Invalid value for input.${field}: must not be null`, `input.${field}`);
    }
    const current = await this.get(projectId, id);
    const content = contentOf({ ...versionInput(current), ...withoutUndefined(input) } as CreateEmailTemplateInput);
    const layout = await this.compile(content);
    return this.dataSource.transaction(async (manager) => {
      const locked = await manager.getRepository(EmailTemplateEntity).findOne({ where: { id, projectId }, lock: { mode: 'pessimistic_write' } });
      if (!locked) throw notFound(id);
      const next = locked.version + 1;
      const version = await this.insertVersion(manager, projectId, id, next, content, layout);
      await manager.update(EmailTemplateEntity, { id, projectId }, { version: next, ...(input.name ? { name: input.name } : {}) });
      return templateView(await manager.findOneByOrFail(EmailTemplateEntity, { id, projectId }), version);
    });
  }

  async get(projectId: string, id: string): Promise<EmailTemplate> {
    const [template] = await this.findMany(projectId, [id]);
    if (!template) throw notFound(id);
    return template;
  }

  async list(projectId: string): Promise<EmailTemplate[]> {
    const templates = await this.dataSource.getRepository(EmailTemplateEntity).find({ where: { projectId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return this.withCurrentVersions(projectId, templates);
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  async findMany(projectId: string, ids: readonly string[]): Promise<EmailTemplate[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.withCurrentVersions(projectId, await this.dataSource.getRepository(EmailTemplateEntity).findBy({ id: In(valid), projectId }));
  }

  /** Every version of a template, newest first. */
  async versions(projectId: string, id: string): Promise<EmailTemplateVersion[]> {
    const rows = await this.dataSource.getRepository(EmailTemplateVersionEntity).find({ where: { templateId: id, projectId }, order: { version: 'DESC' } });
    return rows.map(versionView);
  }

  /** One version (default: the current one); NOT_FOUND names `field` when it is not there. */
  async version(projectId: string, id: string, version?: number | null, field = 'version'): Promise<EmailTemplateVersionEntity> {
    const template = await this.get(projectId, id);
    const wanted = version ?? template.version;
    const row = await this.dataSource.getRepository(EmailTemplateVersionEntity).findOneBy({ templateId: id, projectId, version: wanted });
    if (!row) throw new EmailTemplateError(EmailTemplateErrorCode.VersionNotFound, `Email template ${id} has no version ${wanted}`, field);
    return row;
  }

  /** Renders with the data as the whole scope (a preview: nothing is sent or stored). Variables the data lacks are errors. */
  async render(projectId: string, id: string, data: unknown, version?: number | null): Promise<ComposedEmail> {
    if (data != null && (typeof data !== 'object' || Array.isArray(data))) {
      throw new EmailTemplateError(EmailTemplateErrorCode.InvalidRenderData, 'Invalid value for data: data must be a JSON object', 'data');
    }
    return this.composeOrFail(await this.version(projectId, id, version), (data ?? {}) as Record<string, unknown>, 'data');
  }

  /** Renders for a real profile, as a send would (email's projection of the profile; `event` and `campaign` data optional). */
  async preview(
    projectId: string,
    templateId: string,
    profileId: string,
    { version, event, campaign }: { version?: number | null; event?: Record<string, unknown>; campaign?: Record<string, unknown> } = {},
  ): Promise<ComposedEmail> {
    const row = await this.version(projectId, templateId, version);
    const profile = isUuid(profileId) ? await this.profiles.find(projectId, profileId) : null;
    if (!profile) throw new EmailTemplateError(EmailTemplateErrorCode.ProfileNotFound, `No profile ${profileId} in this project`, 'profileId');
    const scope = personalizationScope({
      profile: { id: profile.profileId, email: profile.email, name: profile.name, timeZone: profile.timeZone, locale: profile.locale, properties: profile.properties },
      event,
      campaign,
    });
    return this.composeOrFail(row, scope, 'profileId');
  }

  composeOrFail(row: EmailTemplateVersionEntity, scope: Record<string, unknown>, field: string): ComposedEmail {
    try {
      return this.composer.compose(composable(row), scope);
    } catch (error) {
      if (!(error instanceof ComposeError)) throw error;
      throw new EmailTemplateError(EmailTemplateErrorCode.RenderFailed, `The template could not be rendered with this ${field === 'data' ? 'data' : 'profile'}: ${error.message}`, field);
    }
  }

  private async compile(content: EmailContent) {
    try {
      return await this.composer.compile(content);
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      const field = `input.${error.field === 'body' ? 'htmlBody' : error.field}`;
      const code = error.field.startsWith('promotion') ? EmailTemplateErrorCode.InvalidPromotion : EmailTemplateErrorCode.TemplateDoesNotCompile;
      throw new EmailTemplateError(code, `Invalid value for ${field}: ${error.message}`, field);
    }
  }

  private async insertVersion(
    manager: EntityManager,
    projectId: string,
    templateId: string,
    version: number,
    content: EmailContent,
    layout: { compiledHtml: string; textTemplate: string },
  ): Promise<EmailTemplateVersionEntity> {
    await manager.insert(EmailTemplateVersionEntity, {
      templateId,
      version,
      projectId,
      format: content.format,
      subject: content.subject,
      preheader: content.preheader,
      fromName: content.fromName,
      fromAddress: content.fromAddress,
      replyTo: content.replyTo,
      body: content.body,
      textBody: content.textBody,
      promotion: storePromotion(content.promotion) as never,
      ...layout,
    });
    return manager.findOneByOrFail(EmailTemplateVersionEntity, { templateId, version });
  }

  private async withCurrentVersions(projectId: string, templates: EmailTemplateEntity[]): Promise<EmailTemplate[]> {
    if (templates.length === 0) return [];
    const versions = await this.dataSource
      .getRepository(EmailTemplateVersionEntity)
      .createQueryBuilder('v')
      .where('v.project_id = :projectId', { projectId })
      .andWhere('(v.template_id, v.version) IN (SELECT unnest(:ids::uuid[]), unnest(:versions::int[]))', {
        ids: templates.map((template) => template.id),
        versions: templates.map((template) => template.version),
      })
      .getMany();
    const byTemplate = new Map(versions.map((version) => [version.templateId, version]));
    return templates.map((template) => templateView(template, byTemplate.get(template.id)!));
  }
}

/** What composing needs of a stored version; its key names the version for the parse cache. */
export function composable(row: EmailTemplateVersionEntity) {
  return { key: `${row.templateId}:${row.version}`, subject: row.subject, preheader: row.preheader, compiledHtml: row.compiledHtml, textTemplate: row.textTemplate };
}

function contentOf(input: CreateEmailTemplateInput): EmailContent {
  return {
    format: input.format ?? 'HTML',
    subject: input.subject,
    preheader: input.preheader ?? null,
    fromName: input.fromName ?? null,
    fromAddress: input.fromAddress ?? null,
    replyTo: input.replyTo ?? null,
    body: input.htmlBody,
    textBody: input.textBody ?? null,
    promotion: input.promotion ?? null,
  };
}

function versionInput(template: EmailTemplate): CreateEmailTemplateInput {
  const { name, format, subject, preheader, fromName, fromAddress, replyTo, htmlBody, textBody, promotion } = template;
  return { name, format, subject, preheader, fromName, fromAddress, replyTo, htmlBody, textBody, promotion };
}

function versionView(row: EmailTemplateVersionEntity): EmailTemplateVersion {
  return {
    version: row.version,
    format: row.format,
    subject: row.subject,
    preheader: row.preheader,
    fromName: row.fromName,
    fromAddress: row.fromAddress,
    replyTo: row.replyTo,
    htmlBody: row.body,
    textBody: row.textBody,
    promotion: loadPromotion(row.promotion) as EmailTemplateVersion['promotion'],
    createdAt: row.createdAt,
  };
}

function templateView(template: EmailTemplateEntity, version: EmailTemplateVersionEntity): EmailTemplate {
  return { ...versionView(version), id: template.id, name: template.name, createdAt: template.createdAt, updatedAt: template.updatedAt };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

function notFound(id: string): EmailTemplateError {
  return new EmailTemplateError(EmailTemplateErrorCode.TemplateNotFound, `No email template ${id} in this project`, 'id');
}
