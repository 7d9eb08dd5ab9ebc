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

/**
 * Outbox rows carry a batch: `bodies` is a JSON array of message bodies (json, not jsonb: stored
 * and relayed as written, never rebuilt) and `message_ids[i]` is the Nats-Msg-Id of `bodies[i]`,
 * so a request that produces a hundred messages writes (and the relay deletes) one row, not a
 * hundred. Also drops `published_at` and its index: the relay deletes rows as it publishes.
 */
export class OutboxBatches1763900009000 implements MigrationInterface {
  name = 'OutboxBatches1763900009000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS outbox_unpublished`);
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN published_at`);
    await queryRunner.query(`ALTER TABLE outbox ADD COLUMN bodies json, ADD COLUMN message_ids text[]`);
    // Rows not relayed yet become one-message batches with the id they would have been published under.
    await queryRunner.query(`UPDATE outbox SET bodies = json_build_array(payload), message_ids = ARRAY[id::text]`);
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN payload`);
    await queryRunner.query(`ALTER TABLE outbox ALTER COLUMN bodies SET NOT NULL, ALTER COLUMN message_ids SET NOT NULL`);
    // A batch row is tens of KB: lz4 compresses it (into TOAST) about three times faster than the
    // default pglz, and the relay reads it back faster too. Servers built without lz4 keep pglz.
    await queryRunner.query(`
      DO $$ BEGIN
        ALTER TABLE outbox ALTER COLUMN bodies SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported THEN NULL;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ADD COLUMN payload jsonb, ADD COLUMN published_at timestamptz`);
    // Batches split back into one row per message (under new ids: unrelayed ones may publish twice).
    await queryRunner.query(`
      INSERT INTO outbox (id, project_id, subject, payload, created_at)
      SELECT gen_random_uuid(), o.project_id, o.subject, b.body::jsonb, o.created_at
      FROM outbox o, json_array_elements(o.bodies) AS b(body)`);
    await queryRunner.query(`DELETE FROM outbox WHERE payload IS NULL`);
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN bodies, DROP COLUMN message_ids`);
    await queryRunner.query(`ALTER TABLE outbox ALTER COLUMN payload SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL`);
  }
}
