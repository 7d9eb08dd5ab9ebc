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
import { applyPropertyTraits, consentTraits, type SkippedOperator } from '../profiles/profile-traits.js';

export interface IngestOutcome {
  profileId: string | null;
  /** Traits that were dropped because they failed validation (names only: values may be personal). */
  rejectedTraits: string[];
  /** Property operators that could not apply (e.g. `$incr` on a text property); the other traits did. */
  skippedOperators: SkippedOperator[];
}

interface TraitsOutcome {
  rejectedTraits: string[];
  skippedOperators: SkippedOperator[];
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
    if (seen.length === 0) return { profileId: event.profileId, rejectedTraits: [], skippedOperators: [] };

    const { profile } = await this.resolver.resolve(manager, projectId, seen);
    const outcome: TraitsOutcome =
      event.type === 'identify' && event.traits
        ? await this.setTraits(manager, projectId, profile.id, event.traits)
        : { rejectedTraits: [], skippedOperators: [] };
    return { profileId: profile.id, ...outcome };
  }

  /** `previousId` is whatever the user was known by before: a user id when one owns it, else an anonymous id. */
  private async previousIdentity(manager: EntityManager, projectId: string, previousId: string): Promise<Identity> {
    const asUser: Identity = { kind: 'user_id', value: previousId };
    const owners = await this.identities.owners(manager, projectId, [asUser]);
    return owners.size > 0 ? asUser : { kind: 'anonymous_id', value: previousId };
  }

  /**
   * Applies traits to properties (plain values replace; CleverTap operators `$add`, `$remove`,
   * `$incr`, `$decr`, `$delete` change the property); `MSG-*` flags become consent per channel;
   * `email`, `phone` and `name` go to their columns instead (and email/phone become identities when
   * no other profile holds them: traits never merge profiles).
   */
  private async setTraits(manager: EntityManager, projectId: string, profileId: string, traits: Record<string, unknown>): Promise<TraitsOutcome> {
    const now = this.clock.now();
    const { consent, rest, rejected } = consentTraits(traits, now);
    const { email, phone, name, ...propertyTraits } = rest;
    const accept = <T>(field: string, value: unknown, valid: (value: unknown) => value is T): T | null => {
      if (value === undefined || value === null) return null;
      if (valid(value)) return value;
      rejected.push(field);
      return null;
    };
    const validEmail = accept('email', email, (value): value is string => typeof value === 'string' && value.length <= 320 && isEmail(value));
    const validPhone = accept('phone', phone, (value): value is string => typeof value === 'string' && E164.test(value));
    const validName = accept('name', name, (value): value is string => typeof value === 'string' && value.length > 0 && value.length <= 200);
    // Operators read the current value: the row stays locked until the consumer's transaction ends.
    const [row] = (await manager.query(`SELECT properties FROM profile WHERE id = $1 AND project_id = $2 FOR UPDATE`, [profileId, projectId])) as {
      properties: Record<string, unknown>;
    }[];
    const { properties, skipped } = applyPropertyTraits(row?.properties ?? {}, propertyTraits);
    await manager.query(
      `UPDATE profile SET properties = $3::jsonb, consent = consent || $4::jsonb, email = COALESCE($5, email), phone = COALESCE($6, phone),
         name = COALESCE($7, name), updated_at = $8
       WHERE id = $1 AND project_id = $2`,
      [profileId, projectId, JSON.stringify(properties), JSON.stringify(consent), validEmail, validPhone, validName, now],
    );
    const contact: Identity[] = [];
    if (validEmail) contact.push(normalizeIdentity({ kind: 'email', value: validEmail }));
    if (validPhone) contact.push({ kind: 'phone', value: validPhone });
    await this.identities.attach(manager, projectId, profileId, contact, now);
    return { rejectedTraits: rejected, skippedOperators: skipped };
  }
}
