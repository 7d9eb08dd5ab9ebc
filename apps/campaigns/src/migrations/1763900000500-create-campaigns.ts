import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCampaigns1763900000500 implements MigrationInterface {
  name = 'CreateCampaigns1763900000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE campaign (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
        channel text NOT NULL CHECK (channel IN ('email', 'in_app', 'webhook')),
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'completed')),
        audience_segment_id uuid,
        schedule jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX campaign_project_status ON campaign (project_id, status, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE campaign`);
  }
}
