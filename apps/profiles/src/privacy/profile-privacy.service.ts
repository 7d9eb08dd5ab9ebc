import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProfileDeleted } from '@boomerang/contracts';
import { IdentityFingerprints, OutboxWriter } from '@boomerang/platform/messaging';
import { Clock, isUuid, SUBGRAPH_CONFIG, type SubgraphConfig } from '@boomerang/platform/subgraph';
import type { Identity } from '../identities/identity.entity.js';
import { IdentityRepository } from '../identities/identity.repository.js';
import { ProfileError, ProfileErrorCode } from '../profiles/profile.errors.js';
import { ProfileRepository } from '../profiles/profile.repository.js';
import { MessagingChannel, SubscriptionState, subscriptionsOf } from '../profiles/profile.model.js';
import { ProfileService } from '../profiles/profile.service.js';
import type { ProfileExport } from './profile-export.model.js';

/** GDPR: everything profiles holds on a person, out (export) or gone (erasure). */
@Injectable()
export class ProfilePrivacyService {
  private readonly fingerprints: IdentityFingerprints;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly profileService: ProfileService,
    private readonly profiles: ProfileRepository,
    private readonly identities: IdentityRepository,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    @Inject(SUBGRAPH_CONFIG) config: SubgraphConfig,
  ) {
    this.fingerprints = new IdentityFingerprints(config.INTERNAL_SIGNING_SECRET);
  }

  /**
   * Deletes the profile (a merged id means its survivor), the tombstones merged into it and their
   * identities; announces ProfileDeleted for each of those ids so other services erase theirs, the
   * one of the profile asked for carrying the fingerprints of every identity they held (messages
   * that name the person by an email or id, not by profile id, are found by them).
   */
  async erase(projectId: string, id: string): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const targetId = isUuid(id) ? await this.profiles.survivorIdOf(manager, projectId, id) : null;
      if (!targetId) throw new ProfileError(ProfileErrorCode.ProfileNotFound, `No profile ${id} in this project`, 'id');
      // Locked first: identity resolution locks a profile before giving it an identity, so the set read next is complete.
      const erased = await this.profiles.lockWithTombstones(manager, projectId, targetId);
      const ids = [targetId, ...erased.filter((row) => row.id !== targetId).map((row) => row.id)];
      const held: Identity[] = await this.identities.forProfiles(projectId, ids, manager);
      for (const row of erased) {
        if (row.externalId) held.push({ kind: 'user_id', value: row.externalId });
        if (row.anonymousId) held.push({ kind: 'anonymous_id', value: row.anonymousId });
        if (row.email) held.push({ kind: 'email', value: row.email });
        if (row.phone) held.push({ kind: 'phone', value: row.phone });
      }
      const erasedIdentities = [...new Set(held.map(({ kind, value }) => this.fingerprints.of(projectId, kind, value)))].sort();
      await this.profiles.erase(manager, projectId, ids);
      const occurredAt = this.clock.now().toISOString();
      await this.outbox.enqueueMany(
        manager,
        ProfileDeleted,
        ids.map((profileId) => ({ projectId, occurredAt, profileId, ...(profileId === targetId ? { erasedIdentities } : {}) })),
      );
      return ids;
    });
  }

  /**
   * Everything profiles holds on the profile (a merged id means its survivor): every column of
   * it, its subscriptions as the API presents them, its identities and the profiles merged into it.
   */
  async export(projectId: string, id: string): Promise<ProfileRecord> {
    const profile = await this.profileService.get(projectId, id);
    const identities = await this.identities.forProfiles(projectId, [profile.id]);
    const merged = await this.profiles.tombstonesOf(projectId, profile.id);
    return {
      profile: {
        id: profile.id,
        externalId: profile.externalId,
        anonymousId: profile.anonymousId,
        email: profile.email,
        phone: profile.phone,
        name: profile.name,
        timeZone: profile.timeZone,
        locale: profile.locale,
        properties: profile.properties,
        consent: profile.consent ?? {},
        subscriptions: subscriptionsOf(profile.consent).map(({ channel, state, updatedAt }) => ({
          channel: nameOf(MessagingChannel, channel),
          state: nameOf(SubscriptionState, state),
          updatedAt: updatedAt?.toISOString() ?? null,
        })),
        createdAt: profile.createdAt.toISOString(),
        updatedAt: profile.updatedAt.toISOString(),
      },
      identities: identities.map((identity) => ({ kind: identity.kind, value: identity.value, createdAt: identity.createdAt.toISOString() })),
      mergeHistory: merged.map((row) => ({ mergedProfileId: row.id, mergedAt: row.mergedAt.toISOString() })),
    };
  }

  /** The GDPR export's profiles part: the record as one object, stamped with the time of export. */
  async profileExport(projectId: string, id: string): Promise<ProfileExport> {
    const { profile, identities, mergeHistory } = await this.export(projectId, id);
    return { profileId: profile.id, exportedAt: this.clock.now(), profile: { ...profile, identities, mergeHistory } };
  }
}

/** An enum member's name: what GraphQL shows (`EMAIL`, `UNSUBSCRIBED`) for a stored value. */
function nameOf(values: Record<string, string>, value: string): string {
  return Object.keys(values).find((key) => values[key] === value) ?? value;
}

/** What profiles holds on one profile, in the shape `exportProfile` has always returned. */
export interface ProfileRecord {
  profile: Record<string, unknown> & { id: string };
  identities: { kind: string; value: string; createdAt: string }[];
  mergeHistory: { mergedProfileId: string; mergedAt: string }[];
}
