import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { defaultDeliverySettings, type DeliverySettings } from './delivery-settings.js';

interface Row {
  project_id: string;
  holdout_percent: number;
  time_zone: string;
  quiet_start: string | null;
  quiet_end: string | null;
  email_cap_max: number | null;
  email_cap_days: number | null;
  min_gap_minutes: number | null;
}

const fromRow = (row: Row): DeliverySettings => ({
  projectId: row.project_id,
  holdoutPercent: row.holdout_percent,
  timeZone: row.time_zone,
  quietHours: row.quiet_start && row.quiet_end ? { start: row.quiet_start, end: row.quiet_end } : null,
  emailCap: row.email_cap_max && row.email_cap_days ? { max: row.email_cap_max, days: row.email_cap_days } : null,
  minGapMinutes: row.min_gap_minutes,
});

/** `campaign_settings`: one row per project that configured its delivery rules; defaults otherwise. */
@Injectable()
export class DeliverySettingsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async get(projectId: string, manager: EntityManager = this.dataSource.manager): Promise<DeliverySettings> {
    const [row] = (await manager.query(`SELECT * FROM campaign_settings WHERE project_id = $1`, [projectId])) as Row[];
    return row ? fromRow(row) : defaultDeliverySettings(projectId);
  }

  async save(settings: DeliverySettings): Promise<DeliverySettings> {
    const [row] = (await this.dataSource.query(
      `INSERT INTO campaign_settings (project_id, holdout_percent, time_zone, quiet_start, quiet_end, email_cap_max, email_cap_days, min_gap_minutes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (project_id) DO UPDATE SET holdout_percent = EXCLUDED.holdout_percent, time_zone = EXCLUDED.time_zone,
         quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, email_cap_max = EXCLUDED.email_cap_max,
         email_cap_days = EXCLUDED.email_cap_days, min_gap_minutes = EXCLUDED.min_gap_minutes, updated_at = now()
       RETURNING *`,
      [
        settings.projectId,
        settings.holdoutPercent,
        settings.timeZone,
        settings.quietHours?.start ?? null,
        settings.quietHours?.end ?? null,
        settings.emailCap?.max ?? null,
        settings.emailCap?.days ?? null,
        settings.minGapMinutes,
      ],
    )) as Row[];
    return fromRow(row!);
  }
}
