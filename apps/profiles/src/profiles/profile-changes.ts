import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileChanged } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { profileSnapshot } from './profile-snapshot.js';
import { ProfileRepository } from './profile.repository.js';

/**
 * Announces ProfileChanged: the snapshot of each profile a transaction changed, read back in that
 * transaction (the row as written), through the outbox. The use case that owns the transaction
 * calls it once, at its end, with every profile it changed, so each gets one message per
 * transaction; tombstones (merged) and erased profiles get none. One read and one outbox row per
 * call, however many profiles.
 */
@Injectable()
export class ProfileChanges {
  constructor(
    private readonly profiles: ProfileRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async announce(manager: EntityManager, projectId: string, profileIds: Iterable<string>): Promise<void> {
    const rows = await this.profiles.snapshotRows(manager, projectId, [...new Set(profileIds)]);
    await this.outbox.enqueueMany(
      manager,
      ProfileChanged,
      rows.map((row) => ({ projectId, occurredAt: row.updatedAt.toISOString(), ...profileSnapshot(row) })),
    );
  }
}
