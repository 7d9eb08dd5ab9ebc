import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A campaign's weekend and holiday rule, and each profile's country (whose public holidays count). */
export class DayRules1763900003040 implements MigrationInterface {
  name = 'DayRules1763900003040';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign ADD COLUMN day_rule jsonb`);
    await queryRunner.query(`ALTER TABLE campaign_profile_zone ADD COLUMN country text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign_profile_zone DROP COLUMN country`);
    await queryRunner.query(`ALTER TABLE campaign DROP COLUMN day_rule`);
  }
}
