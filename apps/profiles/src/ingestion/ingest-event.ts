import { Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import type { EntityManager } from 'typeorm';
import type { EventIngested, MessageOf } from '@boomerang/contracts';
import { Clock } from '@boomerang/platform/subgraph';
import type { Identity } from '../identities/identity.entity.js';
import { normalizeIdentity } from '../identities/identity.entity.js';
import { IdentityResolver } from '../identities/identity-resolver.js';
import { IdentityRepository } from '../identities/identity.repository.js';
import { E164 } from '../profiles/dto/create-profile.input.js';

export interface IngestOutcome {
  profileId: string | null;
  /** Traits that were dropped because they failed validation (names only: values may be personal). */
  rejectedTraits: string[];
}

/**
 * What an ingested event means for profiles: any user or anonymous id resolves (or creates) the
 * profile; `alias` joins `previousId`'s profile with `userId`'s; `identify` sets traits.
 * All writes go through the caller's transaction (the consumer's inbox transaction).
 */
@Injectable()
export class IngestEvent {
  constructor(
    private readonly resolver: IdentityResolver,
    private readonly identities: IdentityRepository,
    private readonly clock: Clock,
  ) {}

  async execute(manager: EntityManager, event: MessageOf<typeof EventIngested>): Promise<IngestOutcome> {
    const { projectId } = event;
    const seen: Identity[] = [];
    if (event.userId) seen.push({ kind: 'user_id', value: event.userId });
    if (event.anonymousId) seen.push({ kind: 'anonymous_id', value: event.anonymousId });
    if (event.type === 'alias' && event.previousId) seen.push(await this.previousIdentity(manager, projectId, event.previousId));
    if (seen.length === 0) return { profileId: event.profileId, rejectedTraits: [] };

    const { profile } = await this.resolver.resolve(manager, projectId, seen);
    const rejectedTraits = event.type === 'identify' && event.traits ? await this.setTraits(manager, projectId, profile.id, event.traits) : [];
    return { profileId: profile.id, rejectedTraits };
  }

  /** `previousId` is whatever the user was known by before: a user id when one owns it, else an anonymous id. */
  private async previousIdentity(manager: EntityManager, projectId: string, previousId: string): Promise<Identity> {
    const asUser: Identity = { kind: 'user_id', value: previousId };
    const owners = await this.identities.owners(manager, projectId, [asUser]);
    return owners.size > 0 ? asUser : { kind: 'anonymous_id', value: previousId };
  }

  /**
   * Shallow-merges traits into properties; `email`, `phone` and `name` go to their columns instead
   * (and email/phone become identities when no other profile holds them: traits never merge profiles).
   */
  private async setTraits(manager: EntityManager, projectId: string, profileId: string, traits: Record<string, unknown>): Promise<string[]> {
    const { email, phone, name, ...properties } = traits;
    const rejected: string[] = [];
    const accept = <T>(field: string, value: unknown, valid: (value: unknown) => value is T): T | null => {
      if (value === undefined || value === null) return null;
      if (valid(value)) return value;
      rejected.push(field);
      return null;
    };
    const validEmail = accept('email', email, (value): value is string => typeof value === 'string' && value.length <= 320 && isEmail(value));
    const validPhone = accept('phone', phone, (value): value is string => typeof value === 'string' && E164.test(value));
    const validName = accept('name', name, (value): value is string => typeof value === 'string' && value.length > 0 && value.length <= 200);
    const now = this.clock.now();
    await manager.query(
      `UPDATE profile SET properties = properties || $3::jsonb, email = COALESCE($4, email), phone = COALESCE($5, phone),
         name = COALESCE($6, name), updated_at = $7
       WHERE id = $1 AND project_id = $2`,
      [profileId, projectId, JSON.stringify(properties), validEmail, validPhone, validName, now],
    );
    const contact: Identity[] = [];
    if (validEmail) contact.push(normalizeIdentity({ kind: 'email', value: validEmail }));
    if (validPhone) contact.push({ kind: 'phone', value: validPhone });
    await this.identities.attach(manager, projectId, profileId, contact, now);
    return rejected;
  }
}
