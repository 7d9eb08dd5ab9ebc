import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The RFM family: a project's configuration with its daily run (a durable timer row), the static
 * segment that holds each class, and each scored profile's R, F, M — kept only while the profile
 * is a member of its class's segment (the foreign key), so an erasure or a manual removal takes
 * the score with it.
 */
export class Rfm1763900001700 implements MigrationInterface {
  name = 'Rfm1763900001700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE rfm_config (
        project_id uuid PRIMARY KEY,
        purchase_event text NOT NULL,
        amount_property text NOT NULL,
        window_days int NOT NULL CHECK (window_days > 0),
        time_zone text NOT NULL,
        recompute_at text NOT NULL CHECK (recompute_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        next_run_at timestamptz NOT NULL,
        computed_at timestamptz,
        failure text,
        attempts int NOT NULL DEFAULT 0,
        scored int NOT NULL DEFAULT 0,
        quintiles jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX rfm_config_due ON rfm_config (next_run_at)`);
    await queryRunner.query(`
      CREATE TABLE rfm_class_segment (
        project_id uuid NOT NULL REFERENCES rfm_config (project_id) ON DELETE CASCADE,
        class text NOT NULL,
        segment_id uuid NOT NULL UNIQUE,
        PRIMARY KEY (project_id, class),
        FOREIGN KEY (project_id, segment_id) REFERENCES segment (project_id, id)
      )`);
    await queryRunner.query(`
      CREATE TABLE rfm_score (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        class text NOT NULL,
        recency_days int NOT NULL,
        frequency int NOT NULL,
        monetary float8 NOT NULL,
        r smallint NOT NULL CHECK (r BETWEEN 1 AND 5),
        f smallint NOT NULL CHECK (f BETWEEN 1 AND 5),
        m smallint NOT NULL CHECK (m BETWEEN 1 AND 5),
        PRIMARY KEY (project_id, profile_id),
        FOREIGN KEY (segment_id, profile_id) REFERENCES segment_membership (segment_id, profile_id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX rfm_score_membership ON rfm_score (segment_id, profile_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE rfm_score`);
    await queryRunner.query(`DROP TABLE rfm_class_segment`);
    await queryRunner.query(`DROP TABLE rfm_config`);
  }
}
