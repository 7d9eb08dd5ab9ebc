import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateProjectsAndKeys1763900000100 implements MigrationInterface {
  name = 'CreateProjectsAndKeys1763900000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE project (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL UNIQUE CHECK (project_id = id),
        name text NOT NULL,
        time_zone text NOT NULL DEFAULT 'UTC',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL REFERENCES project (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('publishable', 'secret')),
        name text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        hint text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX api_key_project ON api_key (project_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_key`);
    await queryRunner.query(`DROP TABLE project`);
  }
}
