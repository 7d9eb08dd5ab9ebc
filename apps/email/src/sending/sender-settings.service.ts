import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { EMAIL_CONFIG, type EmailConfig } from '../email-config.js';
import type { SenderSettings, SenderSettingsInput } from './sender-settings.model.js';
import { SenderSettingsEntity } from './sender-settings.entity.js';
import { SendingError, SendingErrorCode } from './sending.errors.js';
import { SmtpSecretBox } from './smtp-secret-box.js';

/** What the dispatcher needs to send for a project; `smtpUrl` null: nowhere to send yet. */
export interface SendingProfile {
  smtpUrl: string | null;
  /** Changes whenever the settings do (the transport pool is rebuilt). */
  revision: string;
  fromAddress: string;
  fromName: string | null;
  replyTo: string | null;
  maxConnections: number;
  consentRequired: boolean;
}

@Injectable()
export class SenderSettingsService {
  private readonly box: SmtpSecretBox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SUBGRAPH_CONFIG) platform: SubgraphConfig,
    @Inject(EMAIL_CONFIG) private readonly config: EmailConfig,
  ) {
    this.box = new SmtpSecretBox(platform.INTERNAL_SIGNING_SECRET);
  }

  async get(projectId: string): Promise<SenderSettings> {
    const row = await this.dataSource.getRepository(SenderSettingsEntity).findOneBy({ projectId });
    if (!row) {
      return { smtpConfigured: false, smtpHost: null, fromAddress: this.config.EMAIL_DEFAULT_FROM, fromName: null, replyTo: null, maxConnections: 5, consentRequired: false, updatedAt: null };
    }
    const { smtpUrlSealed, projectId: _projectId, ...shown } = row;
    return { ...shown, smtpConfigured: smtpUrlSealed !== null };
  }

  async set(projectId: string, input: SenderSettingsInput): Promise<SenderSettings> {
    const existing = await this.dataSource.getRepository(SenderSettingsEntity).findOneBy({ projectId });
    let sealed = existing?.smtpUrlSealed ?? null;
    let host = existing?.smtpHost ?? null;
    if (input.smtpUrl !== undefined) {
      host = input.smtpUrl === null ? null : smtpHostOf(input.smtpUrl);
      sealed = input.smtpUrl === null ? null : this.box.seal(projectId, input.smtpUrl);
    }
    await this.dataSource.getRepository(SenderSettingsEntity).upsert(
      {
        projectId,
        smtpUrlSealed: sealed,
        smtpHost: host,
        fromAddress: input.fromAddress,
        fromName: input.fromName ?? null,
        replyTo: input.replyTo ?? null,
        maxConnections: input.maxConnections ?? 5,
        consentRequired: input.consentRequired ?? false,
      },
      ['projectId'],
    );
    return this.get(projectId);
  }

  /** The project's settings with its SMTP URL opened (or the platform default). */
  async sendingProfile(projectId: string): Promise<SendingProfile> {
    const row = await this.dataSource.getRepository(SenderSettingsEntity).findOneBy({ projectId });
    if (!row) {
      return {
        smtpUrl: this.config.EMAIL_DEFAULT_SMTP_URL ?? null,
        revision: 'default',
        fromAddress: this.config.EMAIL_DEFAULT_FROM,
        fromName: null,
        replyTo: null,
        maxConnections: 5,
        consentRequired: false,
      };
    }
    return {
      smtpUrl: row.smtpUrlSealed ? this.box.open(projectId, row.smtpUrlSealed) : (this.config.EMAIL_DEFAULT_SMTP_URL ?? null),
      revision: row.updatedAt.toISOString(),
      fromAddress: row.fromAddress,
      fromName: row.fromName,
      replyTo: row.replyTo,
      maxConnections: row.maxConnections,
      consentRequired: row.consentRequired,
    };
  }
}

function smtpHostOf(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SendingError(SendingErrorCode.InvalidSmtpUrl, 'Invalid value for input.smtpUrl: must be an smtp:// or smtps:// URL', 'input.smtpUrl');
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new SendingError(SendingErrorCode.InvalidSmtpUrl, 'Invalid value for input.smtpUrl: must be an smtp:// or smtps:// URL with a host', 'input.smtpUrl');
  }
  return url.hostname;
}
