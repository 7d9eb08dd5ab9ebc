import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `segment_membership` loses its index by profile (`segment_membership_profile`): keeping it took
 * about half of writing a new segment's members (22,921 inserts at random places of an index over
 * every segment's members). A profile's memberships are read through the project's segments instead,
 * one primary-key probe (segment, profile) each: segments are never deleted, so every membership
 * has its segment row in the same project.
 */
export class SegmentMembershipBySegment1763900012300 implements MigrationInterface {
  name = 'SegmentMembershipBySegment1763900012300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX segment_membership_profile`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX segment_membership_profile ON segment_membership (project_id, profile_id)`);
  }
}
