import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSegments1763900000400 implements MigrationInterface {
  name = 'CreateSegments1763900000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE segment (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        name text NOT NULL,
        description text,
        kind text NOT NULL CHECK (kind IN ('static', 'dynamic')),
        rules jsonb CHECK (rules IS NULL OR jsonb_typeof(rules) = 'object'),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'dynamic') = (rules IS NOT NULL)),
        UNIQUE (project_id, id)
      )`);
    await queryRunner.query(`CREATE INDEX segment_project ON segment (project_id, created_at, id)`);
    // The composite foreign key keeps a membership in its segment's project.
    await queryRunner.query(`
      CREATE TABLE segment_membership (
        project_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (segment_id, profile_id),
        FOREIGN KEY (project_id, segment_id) REFERENCES segment (project_id, id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX segment_membership_profile ON segment_membership (project_id, profile_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE segment_membership`);
    await queryRunner.query(`DROP TABLE segment`);
  }
}
