import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `segment_fill_event`: the live event that last touched a profile's leaves of a segment while its
 * members came from a scan (the states still being filled, the live path leaving the segment alone).
 * The recompute after the fill publishes that profile's transition with cause `event` and this
 * event's id rather than `edit` without one; the rows of a segment go with that recompute.
 */
export class SegmentFillEvents1763900011310 implements MigrationInterface {
  name = 'SegmentFillEvents1763900011310';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE segment_fill_event (
        project_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        event_id uuid NOT NULL,
        PRIMARY KEY (segment_id, profile_id)
      )`);
    await queryRunner.query(`CREATE INDEX segment_fill_event_profile ON segment_fill_event (project_id, profile_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE segment_fill_event`);
  }
}
