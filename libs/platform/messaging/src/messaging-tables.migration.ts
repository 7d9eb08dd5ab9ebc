import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox and inbox tables every service with messaging has in its own schema. Listed in
 * each service's migrations, so each schema gets its own copy.
 */
export class MessagingTables1763900000000 implements MigrationInterface {
  name = 'MessagingTables1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE outbox (
        seq bigserial PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        project_id uuid NOT NULL,
        subject text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL`);
    // Wakes the relay at once instead of waiting for its next poll.
    await queryRunner.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`,
    );
    await queryRunner.query(`
      CREATE TABLE inbox (
        consumer text NOT NULL,
        message_id text NOT NULL,
        project_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE inbox`);
    await queryRunner.query(`DROP TRIGGER outbox_inserted ON outbox`);
    await queryRunner.query(`DROP FUNCTION outbox_notify()`);
    await queryRunner.query(`DROP TABLE outbox`);
  }
}
