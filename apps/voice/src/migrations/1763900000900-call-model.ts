import type { MigrationInterface, QueryRunner } from 'typeorm';

const END_REASONS = `('HANG_UP_CALLER', 'HANG_UP_CALLEE', 'MAX_DURATION', 'CONNECTION_LOST', 'MEDIA_FAILED', 'CANCELLED', 'DECLINED', 'MISSED', 'BUSY', 'UNREACHABLE')`;

/** The full call model: context, branding, deadlines, outcome, masked participants, client reports. */
export class CallModel1763900000900 implements MigrationInterface {
  name = 'CallModel1763900000900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE call
        ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
        ADD COLUMN branding jsonb CHECK (branding IS NULL OR jsonb_typeof(branding) = 'object'),
        ADD COLUMN ring_expires_at timestamptz,
        ADD COLUMN max_ends_at timestamptz,
        ADD COLUMN end_reason text CHECK (end_reason IN ${END_REASONS}),
        ADD COLUMN duration_seconds double precision CHECK (duration_seconds >= 0)`);
    // Deadline sweeps read only live calls.
    await queryRunner.query(`CREATE INDEX call_ring_deadline ON call (ring_expires_at) WHERE state = 'ringing'`);
    await queryRunner.query(`CREATE INDEX call_max_deadline ON call (max_ends_at) WHERE state = 'answered'`);
    await queryRunner.query(`CREATE INDEX call_live_by_state ON call (project_id, state) WHERE state IN ('placed', 'ringing', 'answered')`);
    // Timeline order when several states are entered at the same instant (PLACED → RINGING).
    await queryRunner.query(`ALTER TABLE call_state_change ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`);
    await queryRunner.query(`
      CREATE TABLE call_participant (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        call_id uuid NOT NULL REFERENCES call (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('CALLER', 'CALLEE')),
        profile_id uuid NOT NULL,
        display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 64),
        role_label text CHECK (char_length(role_label) <= 64),
        avatar_url text CHECK (char_length(avatar_url) <= 2048),
        proxy_number text NOT NULL,
        proxy_expires_at timestamptz,
        UNIQUE (call_id, role)
      )`);
    await queryRunner.query(`CREATE INDEX call_participant_proxy ON call_participant (project_id, proxy_number)`);
    await queryRunner.query(`
      CREATE TABLE call_client_report (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        call_id uuid NOT NULL REFERENCES call (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('CALLER', 'CALLEE')),
        kind text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
        detail text CHECK (char_length(detail) <= 500),
        at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX call_client_report_call ON call_client_report (project_id, call_id, at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE call_client_report`);
    await queryRunner.query(`DROP TABLE call_participant`);
    await queryRunner.query(`ALTER TABLE call_state_change DROP COLUMN seq`);
    await queryRunner.query(`DROP INDEX call_live_by_state`);
    await queryRunner.query(`DROP INDEX call_max_deadline`);
    await queryRunner.query(`DROP INDEX call_ring_deadline`);
    await queryRunner.query(`
      ALTER TABLE call DROP COLUMN metadata, DROP COLUMN branding, DROP COLUMN ring_expires_at, DROP COLUMN max_ends_at,
        DROP COLUMN end_reason, DROP COLUMN duration_seconds`);
  }
}
