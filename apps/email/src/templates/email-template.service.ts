import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { EmailTemplateCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { isUuid } from '@boomerang/platform/subgraph';
import type { CreateEmailTemplateInput } from './dto/create-email-template.input.js';
import { EmailTemplateEntity } from './email-template.entity.js';
import { EmailTemplateError, EmailTemplateErrorCode } from './email-template.errors.js';
import { TemplateEngine, TemplateSyntaxError } from './template-engine.js';

export interface RenderedEmailResult {
  subject: string;
  html: string;
  text: string | null;
}

@Injectable()
export class EmailTemplateService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly engine: TemplateEngine,
  ) {}

  /** Stores a template once each part compiles, and announces it. */
  create(projectId: string, input: CreateEmailTemplateInput): Promise<EmailTemplateEntity> {
    this.assertCompiles(input.subject, 'input.subject');
    this.assertCompiles(input.htmlBody, 'input.htmlBody');
    if (input.textBody != null) this.assertCompiles(input.textBody, 'input.textBody');
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      await manager.insert(EmailTemplateEntity, {
        id,
        projectId,
        name: input.name,
        subject: input.subject,
        htmlBody: input.htmlBody,
        textBody: input.textBody ?? null,
      });
      const template = await manager.findOneByOrFail(EmailTemplateEntity, { id, projectId });
      await this.outbox.enqueue(manager, EmailTemplateCreated, {
        projectId,
        occurredAt: template.createdAt.toISOString(),
        templateId: id,
        name: template.name,
      });
      return template;
    });
  }

  async get(projectId: string, id: string): Promise<EmailTemplateEntity> {
    const template = isUuid(id) ? await this.dataSource.getRepository(EmailTemplateEntity).findOneBy({ id, projectId }) : null;
    if (!template) throw new EmailTemplateError(EmailTemplateErrorCode.TemplateNotFound, `No email template ${id} in this project`, 'id');
    return template;
  }

  list(projectId: string): Promise<EmailTemplateEntity[]> {
    return this.dataSource.getRepository(EmailTemplateEntity).find({ where: { projectId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<EmailTemplateEntity[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(EmailTemplateEntity).findBy({ id: In(valid), projectId });
  }

  async render(projectId: string, id: string, data: unknown): Promise<RenderedEmailResult> {
    if (data != null && (typeof data !== 'object' || Array.isArray(data))) {
      throw new EmailTemplateError(EmailTemplateErrorCode.InvalidRenderData, 'Invalid value for data: data must be a JSON object', 'data');
    }
    const template = await this.get(projectId, id);
    const values = (data ?? {}) as Record<string, unknown>;
    try {
      return {
        // A subject is one header line: data must not be able to start another header.
        subject: this.engine.render(template.subject, values, 'text').replace(/[\r\n]+/g, ' '),
        html: this.engine.render(template.htmlBody, values, 'html'),
        text: template.textBody === null ? null : this.engine.render(template.textBody, values, 'text'),
      };
    } catch (error) {
      throw new EmailTemplateError(EmailTemplateErrorCode.RenderFailed, `The template could not be rendered with this data: ${(error as Error).message}`, 'data');
    }
  }

  private assertCompiles(source: string, field: string): void {
    try {
      this.engine.check(source);
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      throw new EmailTemplateError(EmailTemplateErrorCode.TemplateDoesNotCompile, `Invalid value for ${field}: the template does not compile: ${error.message}`, field);
    }
  }
}
