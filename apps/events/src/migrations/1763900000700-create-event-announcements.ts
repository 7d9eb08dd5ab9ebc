import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The EventsIngested outbox (see EventAnnouncements): one row per message until it is published,
 * holding its Nats-Msg-Id and event ids only (the bodies are rebuilt from `event` if ever needed).
 */
export class CreateEventAnnouncements1763900000700 implements MigrationInterface {
  name = 'CreateEventAnnouncements1763900000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE event_announcement (
        seq bigserial PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        project_id uuid NOT NULL,
        event_ids uuid[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Messages still in the generic outbox are published by its relay as before.
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE event_announcement`);
  }
}
