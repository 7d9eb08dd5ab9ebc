import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Profiles of an occurrence held by their quiet hours (each in its own zone) until their window ends: the deferring campaigns' sends still to decide. */
export class QuietDeferrals1763900004100 implements MigrationInterface {
  name = 'QuietDeferrals1763900004100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE campaign_quiet_deferral (
        campaign_id uuid NOT NULL,
        occurrence_at timestamptz NOT NULL,
        profile_id uuid NOT NULL,
        project_id uuid NOT NULL,
        release_at timestamptz NOT NULL,
        deferred_at timestamptz NOT NULL,
        PRIMARY KEY (campaign_id, occurrence_at, profile_id),
        FOREIGN KEY (campaign_id, occurrence_at) REFERENCES campaign_occurrence (campaign_id, occurrence_at) ON DELETE CASCADE
      )`);
    // A release job pages the profiles of one occurrence and one window end in profile id order.
    await queryRunner.query(`CREATE INDEX campaign_quiet_deferral_release ON campaign_quiet_deferral (campaign_id, occurrence_at, release_at, profile_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE campaign_quiet_deferral`);
  }
}
