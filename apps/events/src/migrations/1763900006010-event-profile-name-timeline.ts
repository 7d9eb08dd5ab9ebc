import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A profile's events of one name in time order: a funnel's exact step times (the earliest step-k
 * event of a candidate in its window) become one index probe each instead of a walk through all the
 * profile's events of the window with a heap visit per event to read its name.
 */
export class EventProfileNameTimeline1763900006010 implements MigrationInterface {
  name = 'EventProfileNameTimeline1763900006010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS event_profile_name_timeline ON event (project_id, profile_id, name, "timestamp") WHERE profile_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX event_profile_name_timeline`);
  }
}
