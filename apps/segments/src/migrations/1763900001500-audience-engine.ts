import type { MigrationInterface, QueryRunner } from 'typeorm';
import { validateRule } from '@boomerang/audience';

/**
 * The audience engine's tables: segment versions, shared leaves with per-profile state, the
 * projections it evaluates against (profile facts, identity links, events waiting for their
 * profile) and daily size counters.
 */
export class AudienceEngine1763900001500 implements MigrationInterface {
  name = 'AudienceEngine1763900001500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE segment
        ADD COLUMN version int NOT NULL DEFAULT 1,
        ADD COLUMN status text NOT NULL DEFAULT 'ready' CHECK (status IN ('computing', 'ready', 'failed')),
        ADD COLUMN failure text,
        ADD COLUMN computed_at timestamptz,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN archived_at timestamptz`);
    // Every version of a dynamic segment's rules; the segment row holds the current one.
    await queryRunner.query(`
      CREATE TABLE segment_version (
        project_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        version int NOT NULL,
        rules jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (segment_id, version),
        FOREIGN KEY (project_id, segment_id) REFERENCES segment (project_id, id) ON DELETE CASCADE
      )`);
    // A leaf is shared by every segment of the project whose rules hold it (same key).
    await queryRunner.query(`
      CREATE TABLE audience_leaf (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('event', 'sequence', 'profile', 'segment')),
        definition jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('backfilling', 'ready')),
        matches_without_hits boolean NOT NULL,
        recent_from timestamptz,
        snapshot_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (project_id, key)
      )`);
    await queryRunner.query(`
      CREATE TABLE segment_leaf (
        project_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        version int NOT NULL,
        leaf_id uuid NOT NULL REFERENCES audience_leaf (id) ON DELETE CASCADE,
        PRIMARY KEY (segment_id, version, leaf_id),
        FOREIGN KEY (segment_id, version) REFERENCES segment_version (segment_id, version) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX segment_leaf_leaf ON segment_leaf (leaf_id)`);
    // Per profile and leaf: the hits' summary (times in epoch ms), kept hits, and the verdict with its next check.
    await queryRunner.query(`
      CREATE TABLE leaf_state (
        project_id uuid NOT NULL,
        leaf_id uuid NOT NULL REFERENCES audience_leaf (id) ON DELETE CASCADE,
        profile_id uuid NOT NULL,
        n int NOT NULL DEFAULT 0,
        vn int NOT NULL DEFAULT 0,
        sum float8 NOT NULL DEFAULT 0,
        min float8,
        max float8,
        first_at float8,
        last_at float8,
        times float8[] NOT NULL DEFAULT '{}',
        vals float8[] NOT NULL DEFAULT '{}',
        matched boolean NOT NULL,
        recheck_at timestamptz,
        PRIMARY KEY (leaf_id, profile_id)
      )`);
    await queryRunner.query(`CREATE INDEX leaf_state_profile ON leaf_state (project_id, profile_id)`);
    await queryRunner.query(`CREATE INDEX leaf_state_recheck ON leaf_state (recheck_at) WHERE recheck_at IS NOT NULL`);
    // Events a backfill and the live path could both see (ids from recent_from to the backfill's snapshot): counted once.
    await queryRunner.query(`
      CREATE TABLE leaf_recent_hit (
        leaf_id uuid NOT NULL REFERENCES audience_leaf (id) ON DELETE CASCADE,
        event_id uuid NOT NULL,
        PRIMARY KEY (leaf_id, event_id)
      )`);
    // What segments knows of each profile (ProfileChanged): custom properties and built-in attributes.
    await queryRunner.query(`
      CREATE TABLE profile_fact (
        project_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        properties jsonb NOT NULL,
        attributes jsonb NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, profile_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE profile_fact_backfill (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        after_profile_id uuid,
        completed_at timestamptz
      )`);
    await queryRunner.query(`INSERT INTO profile_fact_backfill DEFAULT VALUES`);
    // User and anonymous ids → profile (ProfileIdentified), for events published before events knew their profile.
    await queryRunner.query(`
      CREATE TABLE identity_link (
        project_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('user', 'anonymous')),
        value text NOT NULL,
        profile_id uuid NOT NULL,
        PRIMARY KEY (project_id, kind, value)
      )`);
    await queryRunner.query(`
      CREATE TABLE pending_event (
        id bigserial PRIMARY KEY,
        project_id uuid NOT NULL,
        kind text NOT NULL,
        value text NOT NULL,
        event jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX pending_event_identity ON pending_event (project_id, kind, value)`);
    // Entries and exits per segment and day: Segment.history is their running sum.
    await queryRunner.query(`
      CREATE TABLE segment_size_change (
        project_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        day date NOT NULL,
        entered int NOT NULL DEFAULT 0,
        exited int NOT NULL DEFAULT 0,
        PRIMARY KEY (segment_id, day),
        FOREIGN KEY (project_id, segment_id) REFERENCES segment (project_id, id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`ALTER TABLE segment_membership ADD COLUMN version int`);

    // Rules stored before the language existed were free JSON: kept as version 1, and a segment
    // whose rules do not validate is marked failed until someone saves valid rules.
    const dynamic = (await queryRunner.query(`SELECT id, project_id, rules FROM segment WHERE kind = 'dynamic'`)) as {
      id: string;
      project_id: string;
      rules: unknown;
    }[];
    for (const segment of dynamic) {
      await queryRunner.query(`INSERT INTO segment_version (project_id, segment_id, version, rules) VALUES ($1, $2, 1, $3)`, [
        segment.project_id,
        segment.id,
        JSON.stringify(segment.rules),
      ]);
      const validation = validateRule(segment.rules);
      if (!validation.ok)
        await queryRunner.query(`UPDATE segment SET status = 'failed', failure = $2 WHERE id = $1`, [
          segment.id,
          `rules predate the rule language (${validation.issues[0]!.path}: ${validation.issues[0]!.message}); save valid rules to evaluate`,
        ]);
      else await queryRunner.query(`UPDATE segment SET status = 'computing' WHERE id = $1`, [segment.id]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE segment_membership DROP COLUMN version`);
    for (const table of ['segment_size_change', 'pending_event', 'identity_link', 'profile_fact_backfill', 'profile_fact', 'leaf_recent_hit', 'leaf_state', 'segment_leaf', 'audience_leaf', 'segment_version'])
      await queryRunner.query(`DROP TABLE ${table}`);
    await queryRunner.query(`ALTER TABLE segment DROP COLUMN version, DROP COLUMN status, DROP COLUMN failure, DROP COLUMN computed_at, DROP COLUMN updated_at, DROP COLUMN archived_at`);
  }
}
