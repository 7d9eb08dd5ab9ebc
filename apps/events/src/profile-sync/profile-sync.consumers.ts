import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProfileCreated, ProfileDeleted, ProfileIdentified, ProfileMerged, type MessageOf } from '@boomerang/contracts';
import { KnownProfiles, MessagingLifecycle } from '@boomerang/platform/subgraph';
import { EventStreamErasure } from '../privacy/event-stream-erasure.js';
import { ProfileLinks } from './profile-links.js';

export const PROFILE_CREATED_DURABLE = 'events-profile-created';

/**
 * Follows `profiles`: created profiles become known (events name only known profiles), identified
 * profiles get their waiting events, merged profiles are forgotten and their events move to the
 * survivor, erased profiles are forgotten and their events deleted, from the tables and from the
 * EVENTS stream. Each handler writes through the consumer's transaction, so the inbox row and the
 * effect commit together.
 */
@Injectable()
export class ProfileSyncConsumers {
  constructor(lifecycle: MessagingLifecycle, links: ProfileLinks, knownProfiles: KnownProfiles, streamErasure: EventStreamErasure) {
    lifecycle.register({
      durable: PROFILE_CREATED_DURABLE,
      contract: ProfileCreated,
      handle: (body, { manager }) => knownProfiles.remember(manager, [body]),
      handleBatch: (messages, manager) => knownProfiles.remember(manager, messages.map((message) => message.body)),
    });
    lifecycle.register({
      durable: 'events-profile-identified',
      contract: ProfileIdentified,
      handle: async (body, { manager }) => void (await links.link(manager, body.projectId, body.profileId, body.userId, body.anonymousIds)),
    });
    lifecycle.register({
      durable: 'events-profile-merged',
      contract: ProfileMerged,
      handle: async (body, { manager }) => {
        await knownProfiles.forget(manager, body.projectId, body.mergedProfileId);
        await links.merge(manager, body.projectId, body.profileId, body.mergedProfileId);
      },
    });
    const erase = async (manager: EntityManager, erasures: readonly MessageOf<typeof ProfileDeleted>[]) => {
      // The stream first: it reads the links deleted below.
      await streamErasure.erase(manager, erasures);
      for (const { projectId, profileId } of erasures) {
        await knownProfiles.forget(manager, projectId, profileId);
        await links.erase(manager, projectId, profileId);
      }
    };
    lifecycle.register({
      durable: 'events-profile-deleted',
      contract: ProfileDeleted,
      // The stream erasure reads the project's whole EVENTS stream; erasures pulled together share it.
      longRunning: true,
      handle: (body, { manager }) => erase(manager, [body]),
      handleBatch: (messages, manager) => erase(manager, messages.map((message) => message.body)),
    });
  }
}
