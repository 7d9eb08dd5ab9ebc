import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `segment.members_from_scan`: the members were computed from events' one-pass scan of the raw
 * events (ScanEventLeaves) while the per-profile leaf states are still being filled. Until the
 * states are filled and the members recomputed from them (which clears the flag), the live path
 * leaves the segment alone.
 */
export class SegmentMembersFromScan1763900009600 implements MigrationInterface {
  name = 'SegmentMembersFromScan1763900009600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE segment ADD COLUMN members_from_scan boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`CREATE INDEX segment_members_from_scan ON segment (project_id) WHERE members_from_scan`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE segment DROP COLUMN members_from_scan`);
  }
}
