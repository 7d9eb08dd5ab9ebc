import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUuid } from '@boomerang/platform/subgraph';
import type { EmailSendStats } from './email-send.model.js';
import { SendingError, SendingErrorCode } from './sending.errors.js';

/** Reads of email_send for GraphQL: stats per template and campaign. */
@Injectable()
export class EmailSends {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async stats(projectId: string, filter: { templateId?: string | null; campaignId?: string | null }): Promise<EmailSendStats[]> {
    for (const field of ['templateId', 'campaignId'] as const) {
      const value = filter[field];
      if (value != null && !isUuid(value)) throw new SendingError(SendingErrorCode.InvalidId, `Invalid value for ${field}: must be a UUID`, field);
    }
    const rows = (await this.dataSource.query(
      `SELECT template_id, campaign_id, count(*)::int AS total,
         count(*) FILTER (WHERE status IN ('queued', 'sending', 'deferred'))::int AS pending,
         count(*) FILTER (WHERE status = 'sent')::int AS sent,
         count(*) FILTER (WHERE status = 'skipped')::int AS skipped,
         count(*) FILTER (WHERE status = 'failed')::int AS failed,
         count(*) FILTER (WHERE status = 'uncertain')::int AS uncertain
       FROM email_send
       WHERE project_id = $1 AND ($2::uuid IS NULL OR template_id = $2) AND ($3::uuid IS NULL OR campaign_id = $3)
       GROUP BY template_id, campaign_id
       ORDER BY template_id, campaign_id NULLS FIRST`,
      [projectId, filter.templateId ?? null, filter.campaignId ?? null],
    )) as Record<string, unknown>[];
    return rows.map((row) => ({
      templateId: row.template_id as string,
      campaignId: row.campaign_id as string | null,
      total: row.total as number,
      pending: row.pending as number,
      sent: row.sent as number,
      skipped: row.skipped as number,
      failed: row.failed as number,
      uncertain: row.uncertain as number,
    }));
  }
}
