import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A/B variants of a campaign (weights and templates), the end of its test phase and the variant promoted then; the variant of each send. */
export class CampaignVariants1763900003020 implements MigrationInterface {
  name = 'CampaignVariants1763900003020';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign ADD COLUMN variants jsonb, ADD COLUMN variant_test_ends_at timestamptz, ADD COLUMN variant_winner text`);
    await queryRunner.query(`ALTER TABLE campaign_delivery ADD COLUMN variant text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign_delivery DROP COLUMN variant`);
    await queryRunner.query(`ALTER TABLE campaign DROP COLUMN variants, DROP COLUMN variant_test_ends_at, DROP COLUMN variant_winner`);
  }
}
