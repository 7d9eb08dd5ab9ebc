import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJourneys1763900000600 implements MigrationInterface {
  name = 'CreateJourneys1763900000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE journey (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'live', 'stopped')),
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        graph jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX journey_project ON journey (project_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE journey`);
  }
}
