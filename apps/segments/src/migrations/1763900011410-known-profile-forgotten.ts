import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `known_profile_forgotten`: the project's forgotten (erased, merged) profiles as an index of their
 * own, a few entries: a scan's members are written unless forgotten, each checked in this small
 * index rather than looked up among the project's live profiles (22,921 lookups in an index of 1M
 * entries were about half of writing a new segment's members).
 */
export class KnownProfileForgotten1763900011410 implements MigrationInterface {
  name = 'KnownProfileForgotten1763900011410';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX known_profile_forgotten ON known_profile (project_id, profile_id) WHERE forgotten_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX known_profile_forgotten`);
  }
}
