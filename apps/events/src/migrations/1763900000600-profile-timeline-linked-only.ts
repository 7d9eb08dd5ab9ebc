import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The profile timeline index only holds events attached to a profile: every query on it asks for
 * one `profile_id`, and events still waiting for their profile are found by the two
 * `event_unlinked_*` indexes. An SDK event that arrives before its profile is known (the usual
 * case for anonymous traffic) so writes four index entries instead of five.
 */
export class ProfileTimelineLinkedOnly1763900000600 implements MigrationInterface {
  name = 'ProfileTimelineLinkedOnly1763900000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX event_profile_timeline`);
    await queryRunner.query(
      `CREATE INDEX event_profile_timeline ON event (project_id, profile_id, "timestamp" DESC, id DESC) WHERE profile_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX event_profile_timeline`);
    await queryRunner.query(`CREATE INDEX event_profile_timeline ON event (project_id, profile_id, "timestamp" DESC, id DESC)`);
  }
}
