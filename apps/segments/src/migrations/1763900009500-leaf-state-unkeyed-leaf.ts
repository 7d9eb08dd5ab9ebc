import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `leaf_state` loses its foreign key to `audience_leaf`: checking it row by row took about 40 % of
 * writing a backfill's states (tens of thousands per leaf). LeafCollector deletes a dropped leaf's
 * states itself, under the project's exclusive lock, so no live batch adds one meanwhile.
 */
export class LeafStateUnkeyedLeaf1763900009500 implements MigrationInterface {
  name = 'LeafStateUnkeyedLeaf1763900009500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE leaf_state DROP CONSTRAINT leaf_state_leaf_id_fkey`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM leaf_state s WHERE NOT EXISTS (SELECT 1 FROM audience_leaf l WHERE l.id = s.leaf_id)`);
    await queryRunner.query(`ALTER TABLE leaf_state ADD CONSTRAINT leaf_state_leaf_id_fkey FOREIGN KEY (leaf_id) REFERENCES audience_leaf (id) ON DELETE CASCADE`);
  }
}
