import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `segment.entries_pending`: the members a scan wrote are committed, their membership-changed
 * messages (one per entry) not yet enqueued. They are enqueued right after, in their own
 * transaction, and in any case before the segment's next computation writes a transition.
 */
export class SegmentEntriesPending1763900009610 implements MigrationInterface {
  name = 'SegmentEntriesPending1763900009610';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE segment ADD COLUMN entries_pending boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE segment DROP COLUMN entries_pending`);
  }
}
