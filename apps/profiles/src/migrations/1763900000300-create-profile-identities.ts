import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identities (user id, anonymous ids, email, phone, device ids) get their own table, one owner
 * per (project, kind, value); merged profiles stay as tombstones pointing at their survivor.
 */
export class CreateProfileIdentities1763900000300 implements MigrationInterface {
  name = 'CreateProfileIdentities1763900000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profile ADD COLUMN merged_into uuid REFERENCES profile (id), ADD COLUMN merged_at timestamptz`);
    // A profile may now be known by email, phone or device only; identities live in profile_identity.
    await queryRunner.query(`ALTER TABLE profile DROP CONSTRAINT IF EXISTS profile_check`);
    await queryRunner.query(`CREATE INDEX profile_merged_into ON profile (merged_into) WHERE merged_into IS NOT NULL`);
    await queryRunner.query(`DROP INDEX profile_created`);
    await queryRunner.query(`CREATE INDEX profile_live_created ON profile (project_id, created_at, id) WHERE merged_into IS NULL`);
    await queryRunner.query(`
      CREATE TABLE profile_identity (
        project_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('user_id', 'anonymous_id', 'email', 'phone', 'device_id')),
        value text NOT NULL,
        profile_id uuid NOT NULL REFERENCES profile (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, kind, value)
      )`);
    await queryRunner.query(`CREATE INDEX profile_identity_profile ON profile_identity (project_id, profile_id)`);
    // Backfill: the oldest profile keeps an identity that several rows shared (anonymous ids were not unique).
    await queryRunner.query(`
      INSERT INTO profile_identity (project_id, kind, value, profile_id, created_at)
      SELECT project_id, identity.kind, identity.value, id, created_at
      FROM profile
      CROSS JOIN LATERAL (VALUES ('user_id', external_id), ('anonymous_id', anonymous_id), ('email', lower(email)), ('phone', phone))
        AS identity (kind, value)
      WHERE identity.value IS NOT NULL
      ORDER BY created_at, id
      ON CONFLICT DO NOTHING`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE profile_identity`);
    await queryRunner.query(`DROP INDEX profile_live_created`);
    await queryRunner.query(`CREATE INDEX profile_created ON profile (project_id, created_at, id)`);
    await queryRunner.query(`DELETE FROM profile WHERE merged_into IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE profile DROP COLUMN merged_into, DROP COLUMN merged_at`);
  }
}
