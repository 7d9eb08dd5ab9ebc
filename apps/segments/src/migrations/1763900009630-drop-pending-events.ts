import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `pending_event` and `identity_link` go: events tracked before their profile was known no longer
 * wait in segments for ProfileIdentified, they arrive with their profile when events attaches
 * them (EventsAttached), so each event reaches the live path once (the two paths together counted
 * some twice). Events still waiting here are still waiting in events too, which announces them on
 * their link.
 */
export class DropPendingEvents1763900009630 implements MigrationInterface {
  name = 'DropPendingEvents1763900009630';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE pending_event`);
    await queryRunner.query(`DROP TABLE identity_link`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE identity_link (
        project_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('user', 'anonymous')),
        value text NOT NULL,
        profile_id uuid NOT NULL,
        PRIMARY KEY (project_id, kind, value)
      )`);
    await queryRunner.query(`
      CREATE TABLE pending_event (
        id bigserial PRIMARY KEY,
        project_id uuid NOT NULL,
        kind text NOT NULL,
        value text NOT NULL,
        event jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX pending_event_identity ON pending_event (project_id, kind, value)`);
  }
}
