import type { MigrationInterface, QueryRunner } from 'typeorm';

const STATES = `('placed', 'ringing', 'answered', 'ended', 'cancelled', 'declined', 'missed', 'busy', 'unreachable', 'failed')`;

export class CreateCalls1763900000800 implements MigrationInterface {
  name = 'CreateCalls1763900000800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE call (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        caller_profile_id uuid NOT NULL,
        callee_profile_id uuid NOT NULL CHECK (callee_profile_id <> caller_profile_id),
        reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 64),
        reference text CHECK (char_length(reference) <= 128),
        state text NOT NULL DEFAULT 'placed' CHECK (state IN ${STATES}),
        placed_at timestamptz NOT NULL DEFAULT now(),
        answered_at timestamptz,
        ended_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX call_project_caller ON call (project_id, caller_profile_id, placed_at)`);
    await queryRunner.query(`CREATE INDEX call_project_callee ON call (project_id, callee_profile_id, placed_at)`);
    await queryRunner.query(`CREATE INDEX call_project_placed ON call (project_id, placed_at)`);
    await queryRunner.query(`
      CREATE TABLE call_state_change (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        call_id uuid NOT NULL REFERENCES call (id) ON DELETE CASCADE,
        state text NOT NULL CHECK (state IN ${STATES}),
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX call_state_change_call ON call_state_change (project_id, call_id, at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE call_state_change`);
    await queryRunner.query(`DROP TABLE call`);
  }
}
