import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The property catalog: one type per property name and project, fixed by its first value
 * (see properties/property-types.ts). Backfilled from existing profiles: each name gets the JSON
 * type most of its values have (strings stay `string`: dates stored before typing are not guessed).
 */
export class CreateProfileProperties1763900000500 implements MigrationInterface {
  name = 'CreateProfileProperties1763900000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE profile_property (
        project_id uuid NOT NULL,
        name text NOT NULL,
        type text NOT NULL CHECK (type IN ('string', 'number', 'boolean', 'date', 'list', 'object')),
        first_seen_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, name)
      )`);
    await queryRunner.query(`
      INSERT INTO profile_property (project_id, name, type, first_seen_at)
      SELECT DISTINCT ON (project_id, name) project_id, name, type, first_seen_at
      FROM (
        SELECT p.project_id, e.key AS name,
               CASE jsonb_typeof(e.value) WHEN 'number' THEN 'number' WHEN 'boolean' THEN 'boolean' WHEN 'array' THEN 'list'
                 WHEN 'object' THEN 'object' ELSE 'string' END AS type,
               count(*) AS uses, min(p.created_at) AS first_seen_at
        FROM profile p, jsonb_each(p.properties) AS e
        WHERE jsonb_typeof(e.value) <> 'null'
        GROUP BY 1, 2, 3
      ) AS typed
      ORDER BY project_id, name, uses DESC, first_seen_at`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE profile_property`);
  }
}
