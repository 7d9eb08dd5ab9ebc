import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Imports of cohort files into static segments: the jobs, their unmatched rows, and the profiles a REPLACE import has seen. */
export class SegmentImports1763900001600 implements MigrationInterface {
  name = 'SegmentImports1763900001600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE segment_import (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        format text NOT NULL CHECK (format IN ('csv', 'mixpanel_cohort', 'amplitude_cohort')),
        identity_kind text NOT NULL CHECK (identity_kind IN ('user_id', 'email', 'phone')),
        column_name text,
        mode text NOT NULL CHECK (mode IN ('add', 'replace')),
        source_url text,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        rows_read bigint NOT NULL DEFAULT 0,
        matched bigint NOT NULL DEFAULT 0,
        unmatched_empty bigint NOT NULL DEFAULT 0,
        unmatched_malformed bigint NOT NULL DEFAULT 0,
        unmatched_unknown bigint NOT NULL DEFAULT 0,
        unmatched_not_known bigint NOT NULL DEFAULT 0,
        unmatched_kept int NOT NULL DEFAULT 0,
        added bigint NOT NULL DEFAULT 0,
        removed bigint NOT NULL DEFAULT 0,
        error text,
        upload_expires_at timestamptz NOT NULL,
        heartbeat_at timestamptz,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz,
        FOREIGN KEY (project_id, segment_id) REFERENCES segment (project_id, id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX segment_import_segment ON segment_import (project_id, segment_id, created_at)`);
    // One import of a segment runs at a time: two would race on who is a member.
    await queryRunner.query(`CREATE UNIQUE INDEX segment_import_one_running ON segment_import (segment_id) WHERE status = 'running'`);
    await queryRunner.query(`CREATE INDEX segment_import_unfinished ON segment_import (status, heartbeat_at) WHERE status IN ('pending', 'running')`);
    // Rows that matched no member, the first few thousand of each import (all are counted on the job).
    await queryRunner.query(`
      CREATE TABLE segment_import_unmatched (
        import_id uuid NOT NULL REFERENCES segment_import (id) ON DELETE CASCADE,
        row_number bigint NOT NULL,
        value text NOT NULL,
        reason text NOT NULL CHECK (reason IN ('empty', 'malformed', 'unknown_identity', 'profile_not_known')),
        detail text,
        PRIMARY KEY (import_id, row_number)
      )`);
    // The profiles a REPLACE import matched so far; the others exit at its end. Scratch: dropped with the job's end.
    await queryRunner.query(`
      CREATE UNLOGGED TABLE segment_import_seen (
        import_id uuid NOT NULL REFERENCES segment_import (id) ON DELETE CASCADE,
        profile_id uuid NOT NULL,
        PRIMARY KEY (import_id, profile_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE segment_import_seen`);
    await queryRunner.query(`DROP TABLE segment_import_unmatched`);
    await queryRunner.query(`DROP TABLE segment_import`);
  }
}
