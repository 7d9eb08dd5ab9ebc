import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileChanged, ProfileDeleted, ProfileMerged, type MessageOf, type ProfileSnapshot } from '@boomerang/contracts';
import { OutboxWriter, StreamEraser, type Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER, MESSAGING, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { EmailProfiles } from './email-profiles.js';

export const PROFILE_CHANGED_DURABLE = 'email-profile-changed';
export const PROFILE_DELETED_DURABLE = 'email-profile-deleted';
export const PROFILE_MERGED_DURABLE = 'email-profile-merged';

/**
 * Follows `profiles` into email_profile: each change keeps the newest snapshot (contact email,
 * email consent, name, time zone, locale, properties); an erased or merged-away profile becomes a
 * tombstone (the survivor of a merge arrives as its own ProfileChanged, and the merged profile's
 * sends become the survivor's). Writes go through the consumer's transaction, so the inbox row and
 * the effect commit together.
 */
@Injectable()
export class EmailProfileSync {
  private readonly streamEraser: StreamEraser;

  constructor(
    lifecycle: MessagingLifecycle,
    private readonly profiles: EmailProfiles,
    private readonly outbox: OutboxWriter,
    @Inject(MESSAGING) messaging: Messaging,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.streamEraser = new StreamEraser(messaging, logger);
    lifecycle.register({
      durable: PROFILE_CHANGED_DURABLE,
      contract: ProfileChanged,
      handle: (body, { manager }) => profiles.upsert(manager, body.projectId, [body]),
      handleBatch: async (messages, manager) => {
        const byProject = new Map<string, ProfileSnapshot[]>();
        for (const { projectId, body } of messages) byProject.set(projectId, [...(byProject.get(projectId) ?? []), body]);
        for (const [projectId, snapshots] of byProject) await profiles.upsert(manager, projectId, snapshots);
      },
    });
    lifecycle.register({
      durable: PROFILE_DELETED_DURABLE,
      contract: ProfileDeleted,
      // The stream erasure reads the project's EMAIL stream; erasures pulled together share it.
      longRunning: true,
      handle: (body, { manager }) => this.erase(manager, [body]),
      handleBatch: (messages, manager) => this.erase(manager, messages.map((message) => message.body)),
    });
    lifecycle.register({
      durable: PROFILE_MERGED_DURABLE,
      contract: ProfileMerged,
      handle: async (body, { manager }) => {
        await profiles.erase(manager, body.projectId, body.mergedProfileId);
        await manager.query(`UPDATE email_send SET profile_id = $2 WHERE project_id = $1 AND profile_id = $3`, [body.projectId, body.profileId, body.mergedProfileId]);
      },
    });
  }

  /**
   * GDPR erasure: the profile becomes a tombstone, its sends go (with their queue rows: one not sent
   * yet is never sent), and so do the messages naming it: those not relayed yet from the outbox (so
   * none is published after the scan), then every message on the EMAIL stream and among its dead
   * letters (engagement reports, and the send commands campaigns and journeys published here). The
   * suppression list keeps the address: it is what stops mail to someone who asked for none.
   */
  private async erase(manager: EntityManager, erasures: readonly MessageOf<typeof ProfileDeleted>[]): Promise<void> {
    const erasedByProject = new Map<string, Set<string>>();
    for (const { projectId, profileId } of erasures) {
      await this.profiles.erase(manager, projectId, profileId);
      await manager.query(
        `WITH sends AS (DELETE FROM email_send WHERE project_id = $1 AND profile_id = $2 RETURNING id)
         DELETE FROM email_send_queue q USING sends s WHERE q.send_id = s.id`,
        [projectId, profileId],
      );
      await this.outbox.removeMessagesNaming(manager, projectId, profileId);
      erasedByProject.set(projectId, (erasedByProject.get(projectId) ?? new Set()).add(profileId));
    }
    await this.streamEraser.eraseFromDomain({
      domain: 'email',
      projectIds: [...erasedByProject.keys()],
      decide: (message) => ([...(erasedByProject.get(message.projectId) ?? [])].some((profileId) => message.text.includes(profileId)) ? 'delete' : 'keep'),
    });
  }
}
