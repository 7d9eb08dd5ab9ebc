import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Event names seen per project, for the warning on a trigger event nobody has done; the triggering event's properties on a firing (sends carry them). */
export class TriggerEventNames1763900003010 implements MigrationInterface {
  name = 'TriggerEventNames1763900003010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE campaign_event_name (project_id uuid NOT NULL, name text NOT NULL, PRIMARY KEY (project_id, name))`);
    await queryRunner.query(`ALTER TABLE campaign_trigger_fire ADD COLUMN event jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE campaign_trigger_fire DROP COLUMN event`);
    await queryRunner.query(`DROP TABLE campaign_event_name`);
  }
}
