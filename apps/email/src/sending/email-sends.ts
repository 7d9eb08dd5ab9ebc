import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUuid } from '@boomerang/platform/subgraph';
import type { EmailSendStats, ProfileEmail } from './email-send.model.js';
import { SendingError, SendingErrorCode } from './sending.errors.js';

/** Reads of email_send for GraphQL: stats per template and campaign, the sends of profiles. */
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
         count(*) FILTER (WHERE status IN ('queued', 'deferred'))::int AS pending,
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

  /** The newest `first` sends of each profile (in `profileIds` order), in one query: a LATERAL walk of email_send_profile per profile. */
  async ofProfiles(projectId: string, profileIds: readonly string[], first: number): Promise<ProfileEmail[][]> {
    const ids = profileIds.filter(isUuid);
    const rows =
      ids.length === 0
        ? []
        : ((await this.dataSource.query(
            `SELECT s.* FROM unnest($2::uuid[]) AS p(id)
             CROSS JOIN LATERAL (
               SELECT s.id, s.profile_id AS "profileId", s.template_id AS "templateId", s.template_version AS "templateVersion", t.name AS "templateName",
                 s.campaign_id AS "campaignId", s.journey_id AS "journeyId",
                 -- A claim on its queue row: being sent now.
                 CASE WHEN q.claimed_at IS NOT NULL THEN 'SENDING' ELSE upper(s.status) END AS status, s.reason, coalesce(q.attempts, s.attempts) AS attempts,
                 s.created_at AS "createdAt", s.sent_at AS "sentAt", s.first_opened_at AS "firstOpenedAt", s.open_count AS "openCount",
                 s.first_clicked_at AS "firstClickedAt", s.click_count AS "clickCount", upper(s.bounce_type) AS "bounceType", s.bounced_at AS "bouncedAt",
                 s.unsubscribed_at AS "unsubscribedAt", s.complained_at AS "complainedAt"
               FROM email_send s LEFT JOIN email_template t ON t.id = s.template_id AND t.project_id = s.project_id
                 LEFT JOIN email_send_queue q ON q.send_id = s.id
               WHERE s.project_id = $1 AND s.profile_id = p.id
               ORDER BY s.created_at DESC, s.id DESC LIMIT $3
             ) s`,
            [projectId, ids, first],
          )) as ProfileEmail[]);
    const byProfile = new Map<string, ProfileEmail[]>();
    for (const row of rows) byProfile.set(row.profileId, [...(byProfile.get(row.profileId) ?? []), row]);
    return profileIds.map((id) => byProfile.get(id) ?? []);
  }
}
