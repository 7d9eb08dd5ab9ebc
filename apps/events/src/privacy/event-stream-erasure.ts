import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventsAttached, EventsIngested, type MessageOf, type ProfileDeleted } from '@boomerang/contracts';
import { IdentityFingerprints, StreamEraser, type Messaging } from '@boomerang/platform/messaging';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER, MESSAGING, SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import { ProfileLinks } from '../profile-sync/profile-links.js';
import { ErasedPeople } from './erased-people.js';

/**
 * GDPR erasure of what events published: the erased people's events leave the EVENTS stream and
 * the dead letters that carry EventsIngested (or EventsAttached) messages. Such a message holds the events
 * of many people of a project: one holding only theirs is securely deleted, one holding others'
 * too is replaced by a redacted copy (see StreamEraser). The people are recognised by profile id,
 * by the ids of their links (read here, before the erasure deletes the links, in the same
 * transaction) and by the fingerprints ProfileDeleted carries. The erasures handled together share
 * one scan per project.
 */
@Injectable()
export class EventStreamErasure {
  private readonly eraser: StreamEraser;
  private readonly fingerprints: IdentityFingerprints;

  constructor(
    private readonly links: ProfileLinks,
    @Inject(MESSAGING) messaging: Messaging,
    @Inject(LOGGER) logger: Logger,
    @Inject(SUBGRAPH_CONFIG) config: SubgraphConfig,
  ) {
    this.eraser = new StreamEraser(messaging, logger);
    this.fingerprints = new IdentityFingerprints(config.INTERNAL_SIGNING_SECRET);
  }

  /** Erases from the stream; call it before the profiles' links are deleted in `manager`'s transaction. */
  async erase(manager: EntityManager, erasures: readonly MessageOf<typeof ProfileDeleted>[]): Promise<void> {
    // One erasure per project at a time across instances: two redacting the same batch at once would each keep the other's person in its copy.
    for (const projectId of [...new Set(erasures.map((erasure) => erasure.projectId))].sort()) {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`events stream erasure:${projectId}`]);
    }
    const peopleByProject = new Map<string, ErasedPeople>();
    for (const { projectId, profileId, erasedIdentities } of erasures) {
      let people = peopleByProject.get(projectId);
      if (!people) peopleByProject.set(projectId, (people = new ErasedPeople(projectId, this.fingerprints)));
      people.add({ profileId, ...(await this.links.linkedIds(manager, projectId, profileId)), fingerprints: erasedIdentities ?? [] });
    }
    await this.eraser.eraseFromDomain({
      domain: 'events',
      projectIds: [...peopleByProject.keys()],
      decide: (message) => (message.what === EventsIngested.what || message.what === EventsAttached.what ? (peopleByProject.get(message.projectId)?.erasureOf(message.text) ?? 'keep') : 'keep'),
    });
  }
}
