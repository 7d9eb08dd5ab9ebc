import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileDeleted, type MessageOf } from '@boomerang/contracts';
import { KnownProfiles, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { ProfileLinks } from '../profile-sync/profile-links.js';
import { EventStreamErasure } from './event-stream-erasure.js';

/**
 * GDPR erasure of profiles `profiles` erased (consumer events-profile-deleted): their events leave
 * the EVENTS stream, then the profiles are forgotten and their events, dedupe keys and links
 * deleted. It writes through the consumer's transaction, so the inbox row and the erasure commit
 * together.
 */
@Injectable()
export class ProfileErasureConsumer {
  constructor(
    lifecycle: MessagingLifecycle,
    private readonly links: ProfileLinks,
    private readonly knownProfiles: KnownProfiles,
    private readonly streamErasure: EventStreamErasure,
  ) {
    lifecycle.register({
      durable: 'events-profile-deleted',
      contract: ProfileDeleted,
      // The stream erasure reads the project's whole EVENTS stream; erasures pulled together share it.
      longRunning: true,
      handle: (body, { manager }) => this.erase(manager, [body]),
      handleBatch: (messages, manager) => this.erase(manager, messages.map((message) => message.body)),
    });
  }

  private async erase(manager: EntityManager, erasures: readonly MessageOf<typeof ProfileDeleted>[]): Promise<void> {
    // The stream first: it reads the links deleted below.
    await this.streamErasure.erase(manager, erasures);
    for (const { projectId, profileId } of erasures) {
      await this.knownProfiles.forget(manager, projectId, profileId);
      await this.links.erase(manager, projectId, profileId);
    }
  }
}
