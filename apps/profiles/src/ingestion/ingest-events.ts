import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { ProfileCreated, ProfileIdentified, type IngestedEvent as PublishedEvent } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { Clock, DomainError } from '@boomerang/platform/subgraph';
import { distinctIdentities, type Identity, identityKey, identityValue, isTrackingIdentity, normalizeIdentity } from '../identities/identity.entity.js';
import { IdentityRepository } from '../identities/identity.repository.js';
import { profileIdentified } from '../identities/profile-identified.js';
import { IdentityResolver } from '../merging/identity-resolver.js';
import { E164 } from '../profiles/dto/create-profile.input.js';
import { ProfileChanges } from '../profiles/profile-changes.js';
import { type BatchLockedProfile, type NewBatchProfile, type ProfileBatchUpdate, ProfileRepository } from '../profiles/profile.repository.js';
import { PropertyCatalog, PropertyTyping } from '../properties/property-catalog.js';
import { localeTraits } from '../profiles/profile-locale.js';
import {
  applyPropertyTraits,
  consentTraits,
  unverifiedShare,
  verifiedProperty,
  type Consent,
  type RejectedProperty,
  type SkippedOperator,
} from '../profiles/profile-traits.js';
import { ProfileErrorCode } from '../profiles/profile.errors.js';

/** An event of an EventsIngested message, with the message's project. */
export type IngestedEvent = PublishedEvent & { projectId: string };

export interface IngestOutcome {
  profileId: string | null;
  /** Traits that were dropped because they failed validation (names only: values may be personal). */
  rejectedTraits: string[];
  /** Property operators that could not apply (e.g. `$incr` on a text property); the other traits did. */
  skippedOperators: SkippedOperator[];
  /** Values that do not fit their property's type (see properties/property-types.ts); the other traits applied. */
  rejectedProperties: RejectedProperty[];
  /** Set when identity resolution was refused (IDENTITY_CONFLICT): the event changed nothing. */
  refused?: string;
  /** Traits an unverified event may not change (contact details, consent, what a verified write set); the others applied. */
  heldTraits: string[];
}

/** Writes the batch has decided on for one profile, applied together at the next flush. */
interface PendingProfile {
  /** Set when the batch creates the profile: inserted at the flush with its first identities. */
  created: boolean;
  /** User and anonymous ids it gains (each new to the project). */
  identities: Identity[];
  /** Email, phone and device ids it gains (each new to the project), attached after the profile's row is written. */
  contacts: Identity[];
  /** A user or anonymous id was added: it is announced with ProfileIdentified. */
  announce: boolean;
  /** Identify traits (and the call's context) in event order, each with the outcome it reports to and whether it was verified. */
  traits: { traits: Record<string, unknown>; context: Record<string, unknown> | undefined; outcome: IngestOutcome; verified: boolean }[];
}

/**
 * What a batch of ingested events means for profiles, in event order, with few statements:
 * any user or anonymous id resolves (or creates) the profile; `alias` joins `previousId`'s
 * profile with `userId`'s; `identify` sets traits, and its email/phone resolve like the ids do
 * (joining the profile that holds them); a device id is recorded once and picks the profile of an
 * unknown anonymous visitor, never joining profiles. All writes go through the caller's transaction.
 *
 * The identity keys of the whole batch are advisory-locked in one statement and their owners read
 * in one; an event whose identities all belong to one profile (and bring no second user id)
 * needs no resolution: it writes nothing when it carries no traits, else its new identities and
 * traits are queued for that profile; an event none of whose identities is known queues a new
 * profile. Queued writes go out per batch (new rows inserted, the others locked, then one
 * statement each for identities, profile columns, ProfileCreated and ProfileIdentified), and the
 * batch ends with one ProfileChanged per profile whose snapshot it changed (one read). Anything
 * else (a merge, a possible conflict) goes through `IdentityResolver` after the queue
 * is flushed, inside a savepoint, so an IDENTITY_CONFLICT refuses that event alone.
 *
 * An unverified event (EventsIngested `verified` unset: a publishable key without a user token)
 * resolves by its user and anonymous ids only: its email, phone and device never join or claim
 * a profile, and its traits never change contact details, consent, or what a verified write set
 * last (`profile.verified_fields`); see unverifiedShare.
 */
@Injectable()
export class IngestEvents {
  constructor(
    private readonly resolver: IdentityResolver,
    private readonly profiles: ProfileRepository,
    private readonly identities: IdentityRepository,
    private readonly outbox: OutboxWriter,
    private readonly catalog: PropertyCatalog,
    private readonly clock: Clock,
    private readonly changes: ProfileChanges,
  ) {}

  /** Outcomes in the order of `events`. */
  async execute(manager: EntityManager, events: readonly IngestedEvent[]): Promise<IngestOutcome[]> {
    const outcomes = events.map(
      (event): IngestOutcome => ({ profileId: event.profileId, rejectedTraits: [], skippedOperators: [], rejectedProperties: [], heldTraits: [] }),
    );
    const byProject = new Map<string, number[]>();
    events.forEach((event, n) => {
      const indexes = byProject.get(event.projectId);
      if (indexes) indexes.push(n);
      else byProject.set(event.projectId, [n]);
    });
    for (const [projectId, indexes] of byProject) {
      await new ProjectBatch(manager, projectId, this.resolver, this.profiles, this.identities, this.outbox, this.catalog, this.clock, this.changes).run(
        indexes.map((n) => ({ event: events[n]!, outcome: outcomes[n]! })),
      );
    }
    return outcomes;
  }
}

/** One project's share of a batch; lives for one `execute` call. */
class ProjectBatch {
  /** `kind:value` → owning profile, as the database will hold it once the queue is flushed. */
  private owners = new Map<string, string>();
  /** profile → the user id it carries. */
  private userIds = new Map<string, string>();
  private pending = new Map<string, PendingProfile>();
  private typing = new PropertyTyping(new Map());
  /** Profiles whose snapshot the batch changed: announced once each, at the end (ProfileChanged). */
  private changed = new Set<string>();

  constructor(
    private readonly manager: EntityManager,
    private readonly projectId: string,
    private readonly resolver: IdentityResolver,
    private readonly profiles: ProfileRepository,
    private readonly identities: IdentityRepository,
    private readonly outbox: OutboxWriter,
    private readonly catalog: PropertyCatalog,
    private readonly clock: Clock,
    private readonly changes: ProfileChanges,
  ) {}

  async run(items: { event: IngestedEvent; outcome: IngestOutcome }[]): Promise<void> {
    const updates = items.map(({ event }) => profileUpdateOf(event));
    const verified = items.map(({ event }) => event.verified === true);
    // Identities a caller merely claims (contact details, a device) are only trusted from verified events.
    const contacts = updates.map((update, n) => (update && verified[n] ? contactIdentities(update.traits) : []));
    const devices = items.map(({ event }, n) => (verified[n] ? deviceIdentity(event) : null));
    // Both readings of an alias's previousId are locked and looked up: which one applies depends on the owners.
    const candidates = items.flatMap(({ event }, n) => [
      ...trackingIdentities(event),
      ...(event.type === 'alias' && event.previousId
        ? [
            { kind: 'user_id', value: event.previousId },
            { kind: 'anonymous_id', value: event.previousId },
          ]
        : []),
      ...contacts[n]!,
      ...(devices[n] ? [devices[n]] : []),
    ]) as Identity[];
    // A verified identify may name its profile by id alone (e.g. events' identify for an email unsubscribe of a profile
    // without user or anonymous id); unverified events never address a profile by id (events refuses them).
    const addressed = items.map(({ event }, n) => (verified[n] && updates[n] && event.profileId && trackingIdentities(event).length === 0 ? event.profileId : null));
    const addressedIds = [...new Set(addressed.filter((id): id is string => id !== null))];
    if (candidates.length === 0 && addressedIds.length === 0) return;
    const survivors = await this.profiles.survivorIdsOf(this.manager, this.projectId, addressedIds);
    await this.identities.lock(this.manager, this.projectId, candidates);
    this.owners = await this.identities.owners(this.manager, this.projectId, candidates);
    this.userIds = await this.identities.userIds(this.manager, this.projectId, [...new Set(this.owners.values())]);
    const traitNames = updates.flatMap((update) => (update ? Object.keys(update.traits) : []));
    if (traitNames.length > 0) this.typing = await this.catalog.typing(this.manager, this.projectId, traitNames);

    for (const [n, { event, outcome }] of items.entries()) {
      const tracked = this.seenIdentities(event);
      if (tracked.length === 0) {
        const target = addressed[n] ? survivors.get(addressed[n]) : undefined;
        if (target) this.applyToAddressed(target, contacts[n]!, { ...updates[n]!, outcome, verified: true });
        continue;
      }
      // Trait email/phone resolve like the ids: a profile holding them is this one, joined or refused alike.
      const seen = distinctIdentities([...tracked, ...contacts[n]!]);
      const device = devices[n];
      const profileId = this.knownProfile(seen, device) ?? (await this.resolve(seen, outcome));
      if (!profileId) continue;
      outcome.profileId = profileId;
      // A device is recorded by the first profile seen on it; a shared device stays where it is.
      if (device && !this.owners.has(identityKey(device))) this.gain(profileId, [device]);
      const update = updates[n];
      if (!update) continue;
      this.typing.observe(propertyTraitsOf(update.traits));
      this.queue(profileId).traits.push({ ...update, outcome, verified: verified[n]! });
    }
    await this.flush();
    await this.changes.announce(this.manager, this.projectId, this.changed);
  }

  private seenIdentities(event: IngestedEvent): Identity[] {
    const seen = trackingIdentities(event);
    if (event.type === 'alias' && event.previousId) {
      // `previousId` is whatever the user was known by before: a user id when one owns it, else an anonymous id.
      const asUser: Identity = { kind: 'user_id', value: event.previousId };
      seen.push(this.owners.has(identityKey(asUser)) ? asUser : { kind: 'anonymous_id', value: event.previousId });
    }
    return distinctIdentities(seen);
  }

  /**
   * The profile `seen` belongs to when no resolution is needed, with the writes queued: a new one
   * when none of it is known (one user id at most), else the one owner the unknown rest joins
   * (for an unknown visitor without a user id, the owner of its known `device`).
   * Null when resolution must decide (several owners, or a second user id).
   */
  private knownProfile(seen: Identity[], device: Identity | null): string | null {
    let owners = new Set(seen.flatMap((identity) => this.owners.get(identityKey(identity)) ?? []));
    const users = seen.filter((identity) => identity.kind === 'user_id');
    const deviceOwner = device && owners.size === 0 && users.length === 0 ? this.owners.get(identityKey(device)) : undefined;
    if (deviceOwner) owners = new Set([deviceOwner]);
    if (owners.size === 0) {
      if (users.length > 1) return null;
      const profileId = randomUUID();
      this.queue(profileId).created = true;
      this.gain(profileId, seen);
      return profileId;
    }
    if (owners.size !== 1) return null;
    const [profileId] = owners as Set<string>;
    const missing = seen.filter((identity) => !this.owners.has(identityKey(identity)));
    if (missing.some((identity) => identity.kind === 'user_id') && this.userIds.has(profileId!)) return null;
    this.gain(profileId!, missing);
    return profileId!;
  }

  /**
   * Queues a verified identify that names its profile by id only. Its email/phone join that profile
   * when no other one holds them; held by another, the event is refused (joining two profiles is
   * resolution's, which works from user and anonymous ids).
   */
  private applyToAddressed(profileId: string, contacts: readonly Identity[], update: PendingProfile['traits'][number]): void {
    const heldElsewhere = contacts.find((identity) => (this.owners.get(identityKey(identity)) ?? profileId) !== profileId);
    if (heldElsewhere) {
      update.outcome.refused = `the profile's ${heldElsewhere.kind} belongs to another profile`;
      return;
    }
    update.outcome.profileId = profileId;
    this.gain(
      profileId,
      contacts.filter((identity) => !this.owners.has(identityKey(identity))),
    );
    this.typing.observe(propertyTraitsOf(update.traits));
    this.queue(profileId).traits.push(update);
  }

  /** Queues identities new to the project for the profile; a user or anonymous id among them is announced. */
  private gain(profileId: string, identities: readonly Identity[]): void {
    if (identities.length === 0) return;
    const pending = this.queue(profileId);
    for (const identity of identities) {
      this.owners.set(identityKey(identity), profileId);
      if (isTrackingIdentity(identity)) {
        pending.identities.push(identity);
        pending.announce = true;
      } else pending.contacts.push(identity);
      if (identity.kind === 'user_id') this.userIds.set(profileId, identity.value);
    }
  }

  /** Full resolution (create, merge or refuse) after the queue is written, so it sees every earlier event. */
  private async resolve(seen: Identity[], outcome: IngestOutcome): Promise<string | null> {
    await this.flush();
    try {
      // A savepoint: a refusal undoes this event's resolution and nothing else.
      const resolved = await this.manager.transaction((manager) => this.resolver.resolve(manager, this.projectId, seen));
      const survivor = resolved.profile.id;
      if (resolved.changed) this.changed.add(survivor);
      const gone = new Set(resolved.mergedProfileIds);
      for (const [key, owner] of this.owners) if (gone.has(owner)) this.owners.set(key, survivor);
      for (const identity of seen) this.owners.set(identityKey(identity), survivor);
      for (const merged of gone) {
        const user = this.userIds.get(merged);
        if (user) this.userIds.set(survivor, user);
        this.userIds.delete(merged);
      }
      const user = seen.find((identity) => identity.kind === 'user_id');
      if (user) this.userIds.set(survivor, user.value);
      return survivor;
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== ProfileErrorCode.IdentityConflict) throw error;
      outcome.refused = error.message;
      return null;
    }
  }

  private queue(profileId: string): PendingProfile {
    let pending = this.pending.get(profileId);
    if (!pending) this.pending.set(profileId, (pending = { created: false, identities: [], contacts: [], announce: false, traits: [] }));
    return pending;
  }

  /** Writes what is queued: rows locked, then one statement each for identities, profiles and announcements. */
  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const pending = [...this.pending].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.pending = new Map();
    const now = this.clock.now();
    const created = pending.filter(([, { created }]) => created);
    if (created.length > 0) await this.create(created, now);
    const ids = pending.filter(([, { created }]) => !created).map(([id]) => id);
    // Row locks in id order (as lockLive takes them); a profile merged away meanwhile fails the batch,
    // which the consumer then retries one event at a time through full resolution.
    const locked = await this.profiles.lockForBatch(this.manager, this.projectId, ids);
    if (locked.length !== ids.length || locked.some((row) => row.mergedInto !== null)) {
      throw new Error('a profile of the batch was merged or erased concurrently');
    }
    const rows = new Map<string, Omit<BatchLockedProfile, 'id' | 'mergedInto'>>(locked.map((row) => [row.id, row]));
    for (const [id, { identities }] of created) {
      rows.set(id, { properties: {}, verifiedFields: [], externalId: identityValue(identities, 'user_id'), anonymousId: identityValue(identities, 'anonymous_id') });
    }

    const joining = pending.flatMap(([profileId, { identities }]) => identities.map((identity) => ({ ...identity, profileId })));
    if ((await this.identities.attachMany(this.manager, this.projectId, joining, this.clock.now())) !== joining.length) {
      throw new Error('an identity was claimed despite its lock');
    }

    // A profile row is written only when something in it changes: an identity alone lives in profile_identity,
    // unless it is the profile's first user or anonymous id (the row's columns name those).
    const updates = pending.flatMap(([profileId, { identities, traits }]): ProfileBatchUpdate[] => {
      const row = rows.get(profileId)!;
      const externalId = row.externalId ? null : identityValue(identities, 'user_id');
      const anonymousId = row.anonymousId ? null : identityValue(identities, 'anonymous_id');
      if (traits.length === 0 && !externalId && !anonymousId) return [];
      return [{ id: profileId, externalId, anonymousId, ...this.applyTraits(row.properties, row.verifiedFields, traits, now) }];
    });
    await this.catalog.register(this.manager, this.projectId, this.typing, now);
    for (const id of await this.profiles.applyBatchUpdates(this.manager, this.projectId, updates, now)) this.changed.add(id);
    const contacts = pending.flatMap(([profileId, { contacts }]) => contacts.map((identity) => ({ ...identity, profileId })));
    if ((await this.identities.attachMany(this.manager, this.projectId, contacts, this.clock.now())) !== contacts.length) {
      throw new Error('an identity was claimed despite its lock');
    }

    const announced = pending.filter(([, { announce }]) => announce).map(([id]) => id);
    if (announced.length > 0) await this.announce(announced, now);
  }

  /** New profiles, each named by the user or anonymous id it was first seen with, announced as created. */
  private async create(created: [string, PendingProfile][], now: Date): Promise<void> {
    const profiles = created.map(
      ([id, { identities }]): NewBatchProfile => ({ id, externalId: identityValue(identities, 'user_id'), anonymousId: identityValue(identities, 'anonymous_id') }),
    );
    await this.profiles.insertMany(this.manager, this.projectId, profiles, now);
    for (const profile of profiles) this.changed.add(profile.id);
    await this.outbox.enqueueMany(
      this.manager,
      ProfileCreated,
      profiles.map((profile) => ({ projectId: this.projectId, occurredAt: now.toISOString(), profileId: profile.id, externalId: profile.externalId })),
    );
  }

  /**
   * Applies one profile's identify traits in event order: properties (plain values replace,
   * CleverTap operators change them), `MSG-*` consent, and `email`/`phone`/`name` to their
   * columns (validated; the last valid one wins). Rejections and skips go to each event's outcome.
   * Unverified traits apply only where unverifiedShare allows; verified ones mark what they set.
   */
  private applyTraits(
    current: Record<string, unknown>,
    verifiedFields: readonly string[],
    queued: PendingProfile['traits'],
    now: Date,
  ): Omit<ProfileBatchUpdate, 'id' | 'externalId' | 'anonymousId'> {
    if (queued.length === 0) {
      return { properties: null, consent: null, email: null, phone: null, name: null, timeZone: null, locale: null, verifiedFields: null };
    }
    const verifiedSet = new Set(verifiedFields);
    let properties = current ?? {};
    let consent: Consent = {};
    let email: string | null = null;
    let phone: string | null = null;
    let name: string | null = null;
    let timeZone: string | null = null;
    let locale: string | null = null;
    for (const entry of queued) {
      const { outcome } = entry;
      const share = entry.verified ? { traits: entry.traits, context: entry.context, held: [] } : unverifiedShare(entry.traits, entry.context, verifiedSet);
      outcome.heldTraits.push(...share.held);
      const located = localeTraits(share.traits, share.context);
      timeZone = located.timeZone ?? timeZone;
      locale = located.locale ?? locale;
      outcome.rejectedTraits.push(...located.rejected);
      const split = consentTraits(located.rest, now);
      const { email: emailTrait, phone: phoneTrait, name: nameTrait, ...propertyTraits } = split.rest;
      const accept = <T>(field: string, value: unknown, valid: (value: unknown) => value is T): T | null => {
        if (value === undefined || value === null) return null;
        if (valid(value)) return value;
        split.rejected.push(field);
        return null;
      };
      const validEmail = accept('email', emailTrait, isValidEmail);
      const validPhone = accept('phone', phoneTrait, isValidPhone);
      const validName = accept('name', nameTrait, (value): value is string => typeof value === 'string' && value.length > 0 && value.length <= 200);
      const applied = applyPropertyTraits(properties, propertyTraits, (property, value, exact) => this.typing.fit(property, value, exact));
      properties = applied.properties;
      consent = { ...consent, ...split.consent };
      email = validEmail ?? email;
      phone = validPhone ?? phone;
      name = validName ?? name;
      outcome.rejectedTraits.push(...split.rejected);
      outcome.skippedOperators.push(...applied.skipped);
      outcome.rejectedProperties.push(...applied.rejected);
      if (entry.verified) {
        const notApplied = new Set([...applied.skipped, ...applied.rejected].map(({ property }) => property));
        for (const property of Object.keys(propertyTraits)) if (!notApplied.has(property)) verifiedSet.add(verifiedProperty(property));
        if (validName) verifiedSet.add('name');
        if (located.timeZone) verifiedSet.add('time_zone');
        if (located.locale) verifiedSet.add('locale');
      }
    }
    return { properties, consent, email, phone, name, timeZone, locale, verifiedFields: [...verifiedSet] };
  }

  /** Each profile now answers to its user id and every anonymous id it holds: one ProfileIdentified each. */
  private async announce(profileIds: string[], now: Date): Promise<void> {
    const held = await this.identities.trackingIdentities(this.manager, this.projectId, profileIds);
    await this.outbox.enqueueMany(
      this.manager,
      ProfileIdentified,
      profileIds.map((profileId) => profileIdentified(this.projectId, profileId, held.filter((identity) => identity.profileId === profileId), now)),
    );
  }
}

/** The traits that are properties: not consent flags, contact fields, time zone or locale. */
function propertyTraitsOf(traits: Record<string, unknown>): Record<string, unknown> {
  const { email: _email, phone: _phone, name: _name, ...rest } = consentTraits(localeTraits(traits, undefined).rest, new Date(0)).rest;
  return rest;
}

/** What an identify changes on its profile besides identities: traits, and time zone/locale from its context. */
function profileUpdateOf(event: IngestedEvent): { traits: Record<string, unknown>; context: Record<string, unknown> | undefined } | null {
  if (event.type !== 'identify') return null;
  const traits = event.traits ?? {};
  const context = event.context;
  if (Object.keys(traits).length === 0 && context?.timezone == null && context?.locale == null) return null;
  return { traits, context };
}

const isValidEmail = (value: unknown): value is string => typeof value === 'string' && value.length <= 320 && isEmail(value);
const isValidPhone = (value: unknown): value is string => typeof value === 'string' && E164.test(value);

/** The identities an identify's valid `email` (lower-cased) and `phone` traits name. */
function contactIdentities(traits: Record<string, unknown>): Identity[] {
  const contacts: Identity[] = [];
  if (isValidEmail(traits.email)) contacts.push(normalizeIdentity({ kind: 'email', value: traits.email }));
  if (isValidPhone(traits.phone)) contacts.push({ kind: 'phone', value: traits.phone });
  return contacts;
}

/** The event's device (Segment `context.device.id`, 1–255 characters), if any. */
function deviceIdentity(event: IngestedEvent): Identity | null {
  return event.deviceId && event.deviceId.length <= 255 ? { kind: 'device_id', value: event.deviceId } : null;
}

function trackingIdentities(event: IngestedEvent): Identity[] {
  const seen: Identity[] = [];
  if (event.userId) seen.push({ kind: 'user_id', value: event.userId });
  if (event.anonymousId) seen.push({ kind: 'anonymous_id', value: event.anonymousId });
  return seen;
}
