import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rebuilding a project's rollups when its analytics settings change: `rebuild_before` (a UUIDv7
 * floor) marks the events the rebuild folds from the `event` table (the consumer leaves them to
 * it, and parks later ones until it is done); `rebuilt_before` the last rebuild done.
 */
export class AnalyticsRebuilds1763900005020 implements MigrationInterface {
  name = 'AnalyticsRebuilds1763900005020';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE analytics_settings ADD COLUMN rebuild_before uuid, ADD COLUMN rebuilt_before uuid`);
    await queryRunner.query(`CREATE INDEX analytics_settings_rebuild ON analytics_settings (project_id) WHERE rebuild_before IS DISTINCT FROM rebuilt_before`);
    // Events received after a change, held by the consumer until the rebuild folds them after the older ones.
    await queryRunner.query(`
      CREATE TABLE analytics_rebuild_parked (
        project_id uuid NOT NULL,
        event_id uuid NOT NULL,
        profile_id uuid,
        user_id text,
        anonymous_id text,
        "timestamp" timestamptz NOT NULL,
        name text NOT NULL,
        revenue numeric,
        PRIMARY KEY (project_id, event_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE analytics_rebuild_parked`);
    await queryRunner.query(`DROP INDEX analytics_settings_rebuild`);
    await queryRunner.query(`ALTER TABLE analytics_settings DROP COLUMN rebuild_before, DROP COLUMN rebuilt_before`);
  }
}
