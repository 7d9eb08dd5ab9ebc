import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sends at a local time in each profile's zone, one-time or recurring: `series_at` is the occurrence of the
 * schedule (its wall-clock time, as an instant in the schedule's zone) an occurrence row belongs to; every zone's
 * row of one series shares it, so a profile is sent once per series whichever zone it is in when its row runs.
 */
export class OccurrenceSeries1763900004200 implements MigrationInterface {
  name = 'OccurrenceSeries1763900004200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign_occurrence ADD COLUMN series_at timestamptz`);
    await queryRunner.query(`CREATE INDEX campaign_occurrence_series ON campaign_occurrence (campaign_id, series_at) WHERE series_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign_occurrence DROP COLUMN series_at`);
  }
}
