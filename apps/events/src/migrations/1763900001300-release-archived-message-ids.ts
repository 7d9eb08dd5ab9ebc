import type { MigrationInterface, QueryRunner } from 'typeorm';
import { archivedTables, releaseMessageIds } from '../partitions/event-partitions.js';

/**
 * Months archived before detaching released their messageIds still hold them in
 * `event_message_id`: released now, as every detach does from here on.
 */
export class ReleaseArchivedMessageIds1763900001300 implements MigrationInterface {
  name = 'ReleaseArchivedMessageIds1763900001300';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of await archivedTables(queryRunner)) await releaseMessageIds(queryRunner, table);
  }

  /** Released messageIds are not claimed again: nothing would find their events through them. */
  async down(): Promise<void> {}
}
