import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The events waiting for their profile, by the ids an identify names: a ProfileIdentified folds
 * its own waiting events through these (instead of a sweep over every waiting row).
 */
export class AnalyticsUnlinkedIds1763900007110 implements MigrationInterface {
  name = 'AnalyticsUnlinkedIds1763900007110';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX analytics_unlinked_user ON analytics_unlinked (project_id, user_id) WHERE user_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX analytics_unlinked_anonymous ON analytics_unlinked (project_id, anonymous_id) WHERE anonymous_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX analytics_unlinked_anonymous`);
    await queryRunner.query(`DROP INDEX analytics_unlinked_user`);
  }
}
