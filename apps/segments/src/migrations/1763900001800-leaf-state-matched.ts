import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The profiles a leaf holds true for, without reading its other states: what member queries of plain audiences start from. */
export class LeafStateMatched1763900001800 implements MigrationInterface {
  name = 'LeafStateMatched1763900001800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX leaf_state_matched ON leaf_state (leaf_id, profile_id) WHERE matched`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX leaf_state_matched`);
  }
}
