import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateProfiles1763900000200 implements MigrationInterface {
  name = 'CreateProfiles1763900000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE profile (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        external_id text,
        anonymous_id text,
        email text,
        phone text,
        name text,
        properties jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (external_id IS NOT NULL OR anonymous_id IS NOT NULL)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX profile_external_id_unique ON profile (project_id, external_id) WHERE external_id IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX profile_anonymous_id ON profile (project_id, anonymous_id) WHERE anonymous_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX profile_created ON profile (project_id, created_at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE profile`);
  }
}
