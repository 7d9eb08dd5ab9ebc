import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `segment_membership` loses its foreign key to `segment`: checking it row by row was about a
 * quarter of writing a new segment's tens of thousands of members (22,921 checks of the same
 * segment row: 0.17–0.34 s on the 2-core machine). Every writer takes `project_id` from the segment
 * row it holds locked, and segments are archived, never deleted, so the key guarded nothing the
 * code does not.
 * Also `known_profile_live`: the live profiles of a project as an index of their own, so a scan's
 * members are checked against known_profile by index-only lookups (the primary key's lookups each
 * read the heap row for `forgotten_at`: 22,921 random heap reads, most of writing the members).
 */
export class SegmentMembershipUnkeyedSegment1763900009620 implements MigrationInterface {
  name = 'SegmentMembershipUnkeyedSegment1763900009620';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE segment_membership DROP CONSTRAINT segment_membership_project_id_segment_id_fkey`);
    await queryRunner.query(`CREATE INDEX known_profile_live ON known_profile (project_id, profile_id) WHERE forgotten_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX known_profile_live`);
    await queryRunner.query(`DELETE FROM segment_membership m WHERE NOT EXISTS (SELECT 1 FROM segment s WHERE s.project_id = m.project_id AND s.id = m.segment_id)`);
    await queryRunner.query(
      `ALTER TABLE segment_membership ADD CONSTRAINT segment_membership_project_id_segment_id_fkey FOREIGN KEY (project_id, segment_id) REFERENCES segment (project_id, id) ON DELETE CASCADE`,
    );
  }
}
