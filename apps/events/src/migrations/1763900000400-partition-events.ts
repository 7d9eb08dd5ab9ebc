import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ensureMonthPartition, ensureUpcomingPartitions } from '../partitions/event-partitions.js';

const COLUMNS = `id, project_id, profile_id, message_id, name, properties, "timestamp", received_at`;

/**
 * Partitions `event` by month on `timestamp` and adds the SDK call's identities and context.
 * A unique constraint on a partitioned table must include the partition key, so the
 * (project_id, message_id) dedupe moves to the small `event_message_id` table.
 */
export class PartitionEvents1763900000400 implements MigrationInterface {
  name = 'PartitionEvents1763900000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE event_message_id (
        project_id uuid NOT NULL,
        message_id text NOT NULL,
        event_id uuid NOT NULL,
        PRIMARY KEY (project_id, message_id)
      )`);
    await queryRunner.query(`INSERT INTO event_message_id (project_id, message_id, event_id) SELECT project_id, message_id, id FROM event`);

    await queryRunner.query(`ALTER TABLE event RENAME TO event_unpartitioned`);
    await queryRunner.query(`ALTER TABLE event_unpartitioned RENAME CONSTRAINT event_pkey TO event_unpartitioned_pkey`);
    await queryRunner.query(`DROP INDEX event_profile_timeline, event_name_timeline`);
    await queryRunner.query(`
      CREATE TABLE event (
        id uuid NOT NULL,
        project_id uuid NOT NULL,
        profile_id uuid,
        message_id text NOT NULL,
        type text NOT NULL DEFAULT 'track' CHECK (type IN ('track', 'identify', 'page', 'screen', 'group', 'alias')),
        name text NOT NULL,
        user_id text,
        anonymous_id text,
        properties jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
        context jsonb CHECK (context IS NULL OR jsonb_typeof(context) = 'object'),
        "timestamp" timestamptz NOT NULL,
        sent_at timestamptz,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT event_pkey PRIMARY KEY (id, "timestamp")
      ) PARTITION BY RANGE ("timestamp")`);
    await queryRunner.query(`CREATE TABLE event_default PARTITION OF event DEFAULT`);
    await ensureUpcomingPartitions(queryRunner, new Date(), 3);
    // Existing rows get partitions for the months they fall in (bounded: older history stays in DEFAULT).
    const months = (await queryRunner.query(
      `SELECT DISTINCT to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM event_unpartitioned
       WHERE "timestamp" >= now() - interval '24 months'`,
    )) as { month: string }[];
    for (const { month } of months) await ensureMonthPartition(queryRunner, new Date(`${month}-01T00:00:00Z`));
    await queryRunner.query(`INSERT INTO event (${COLUMNS}) SELECT ${COLUMNS} FROM event_unpartitioned`);
    await queryRunner.query(`DROP TABLE event_unpartitioned`);

    // id breaks ties in (timestamp, id) keyset pagination, so it is part of both indexes.
    await queryRunner.query(`CREATE INDEX event_profile_timeline ON event (project_id, profile_id, "timestamp" DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX event_name_timeline ON event (project_id, name, "timestamp" DESC, id DESC)`);
    // Entity references and event(id) look up by id alone (the primary key leads with it).
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE event RENAME TO event_partitioned`);
    await queryRunner.query(`ALTER INDEX event_profile_timeline RENAME TO event_partitioned_profile_timeline`);
    await queryRunner.query(`ALTER INDEX event_name_timeline RENAME TO event_partitioned_name_timeline`);
    await queryRunner.query(`ALTER TABLE event_partitioned RENAME CONSTRAINT event_pkey TO event_partitioned_pkey`);
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
    await queryRunner.query(`INSERT INTO event (${COLUMNS}) SELECT ${COLUMNS} FROM event_partitioned`);
    await queryRunner.query(`DROP TABLE event_partitioned`);
    await queryRunner.query(`DROP TABLE event_message_id`);
    await queryRunner.query(`CREATE INDEX event_profile_timeline ON event (project_id, profile_id, "timestamp" DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX event_name_timeline ON event (project_id, name, "timestamp" DESC, id DESC)`);
  }
}
