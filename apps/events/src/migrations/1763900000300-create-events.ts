import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Raw events. A plain table for now; monthly RANGE partitions on `timestamp` come later (the
 * primary key and the message_id uniqueness will then have to include `timestamp`).
 */
export class CreateEvents1763900000300 implements MigrationInterface {
  name = 'CreateEvents1763900000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE event (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        profile_id uuid,
        message_id text NOT NULL,
        name text NOT NULL,
        properties jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
        "timestamp" timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT event_message_id_unique UNIQUE (project_id, message_id)
      )`);
    // id breaks ties in (timestamp, id) keyset pagination, so it is part of both indexes.
    await queryRunner.query(`CREATE INDEX event_profile_timeline ON event (project_id, profile_id, "timestamp" DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX event_name_timeline ON event (project_id, name, "timestamp" DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE event`);
  }
}
