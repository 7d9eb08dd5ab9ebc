import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each trigger firing decides under its own occurrence: `occurrence_at` is the trigger time, moved on by a
 * millisecond while another firing of the same campaign and profile holds it (two events of one profile in one
 * millisecond under "every time" are two decisions, not one dropped). Existing firings keep their trigger time;
 * any that shared one are spread the same way.
 */
export class TriggerFireOccurrence1763900004300 implements MigrationInterface {
  name = 'TriggerFireOccurrence1763900004300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign_trigger_fire ADD COLUMN occurrence_at timestamptz`);
    await queryRunner.query(`UPDATE campaign_trigger_fire SET occurrence_at = triggered_at`);
    await queryRunner.query(`
      DO $$ BEGIN
        LOOP
          WITH shared AS (
            SELECT id, row_number() OVER (PARTITION BY campaign_id, profile_id, occurrence_at ORDER BY triggered_at, id) AS rank FROM campaign_trigger_fire)
          UPDATE campaign_trigger_fire f SET occurrence_at = f.occurrence_at + interval '1 millisecond' FROM shared WHERE shared.id = f.id AND shared.rank > 1;
          EXIT WHEN NOT FOUND;
        END LOOP;
      END $$`);
    await queryRunner.query(`ALTER TABLE campaign_trigger_fire ALTER COLUMN occurrence_at SET NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX campaign_trigger_fire_occurrence ON campaign_trigger_fire (campaign_id, profile_id, occurrence_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign_trigger_fire DROP COLUMN occurrence_at`);
  }
}
