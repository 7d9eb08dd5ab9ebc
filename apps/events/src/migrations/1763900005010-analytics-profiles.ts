import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics' copy of each profile's custom properties (from profiles' ProfileChanged snapshots,
 * the newest `updatedAt` kept): what questions filter and break down by profile property.
 */
export class AnalyticsProfiles1763900005010 implements MigrationInterface {
  name = 'AnalyticsProfiles1763900005010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE analytics_profile (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        properties jsonb NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, profile_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE analytics_profile`);
  }
}
