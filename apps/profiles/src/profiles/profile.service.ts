import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { ProfileCreated, ProfileIdentified } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import type { CreateProfileInput } from './dto/create-profile.input.js';
import type { ProfileFilter } from './dto/profiles.args.js';
import { type Identity, isTrackingIdentity, normalizeIdentity } from '../identities/identity.entity.js';
import { IdentityRepository } from '../identities/identity.repository.js';
import { profileIdentified } from '../identities/profile-identified.js';
import { ProfileChanges } from './profile-changes.js';
import { ProfileEntity } from './profile.entity.js';
import { ProfileError, ProfileErrorCode } from './profile.errors.js';
import { ProfileRepository } from './profile.repository.js';
import { PropertyCatalog } from '../properties/property-catalog.js';
import { type ConditionSql, propertyConditionSql } from '../properties/property-filter.js';
import { fitToType } from '../properties/property-types.js';
import { verifiedProperty } from './profile-traits.js';
import { Clock, decodeCursor, isUuid, type Page, isJsonObject } from '@boomerang/platform/subgraph';

@Injectable()
export class ProfileService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly profiles: ProfileRepository,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    private readonly identities: IdentityRepository,
    private readonly catalog: PropertyCatalog,
    private readonly changes: ProfileChanges,
  ) {}

  /**
   * `properties` as their types store them (coerced where lossless; new names fix their type and are
   * registered in this transaction); a value that does not fit is a BAD_USER_INPUT on `<field>.<name>`.
   */
  private async typed(manager: EntityManager, projectId: string, properties: Record<string, unknown>, field: string): Promise<Record<string, unknown>> {
    const typing = await this.catalog.typing(manager, projectId, Object.keys(properties));
    const typed: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(properties)) {
      const fitted = typing.fit(name, value);
      if (!fitted.ok) throw new ProfileError(ProfileErrorCode.PropertyTypeMismatch, `Invalid value for ${field}.${name}: ${fitted.reason}`, `${field}.${name}`);
      typed[name] = fitted.value;
    }
    await this.catalog.register(manager, projectId, typing, this.clock.now());
    return typed;
  }

  /** Creates a profile and announces it; a taken externalId is a conflict on `input.externalId`. */
  create(projectId: string, input: CreateProfileInput): Promise<ProfileEntity> {
    return this.dataSource.transaction(async (manager) => {
      const now = this.clock.now();
      const properties = await this.typed(manager, projectId, input.properties ?? {}, 'input.properties');
      const profile = manager.create(ProfileEntity, {
        id: randomUUID(),
        projectId,
        externalId: input.externalId ?? null,
        anonymousId: input.anonymousId ?? null,
        email: input.email ?? null,
        phone: input.phone ?? null,
        name: input.name ?? null,
        properties,
        timeZone: null,
        locale: null,
        createdAt: now,
        updatedAt: now,
        mergedInto: null,
        mergedAt: null,
      });
      const identities = identitiesOf(input);
      await this.identities.lock(manager, projectId, identities.map(({ identity }) => identity));
      // A secret-key write: everything it sets is verified.
      const verifiedFields = [...(profile.name ? ['name'] : []), ...Object.keys(properties).map(verifiedProperty)];
      if (!(await this.profiles.insertIfExternalIdFree(manager, profile, verifiedFields))) {
        throw new ProfileError(ProfileErrorCode.ExternalIdTaken, 'A profile with this externalId already exists in the project', 'input.externalId');
      }
      for (const { identity, field } of identities) {
        const [attached] = await this.identities.attach(manager, projectId, profile.id, [identity], now);
        if (!attached) throw new ProfileError(ProfileErrorCode.IdentityTaken, `Another profile in the project already has this ${field}`, `input.${field}`);
      }
      await this.outbox.enqueue(manager, ProfileCreated, {
        projectId,
        occurredAt: now.toISOString(),
        profileId: profile.id,
        externalId: profile.externalId,
      });
      // The services that link events by user or anonymous id (events) learn them here, as after an identify.
      const tracking = identities.map(({ identity }) => identity).filter(isTrackingIdentity);
      if (tracking.length > 0) await this.outbox.enqueue(manager, ProfileIdentified, profileIdentified(projectId, profile.id, tracking, now));
      await this.changes.announce(manager, projectId, [profile.id]);
      return profile;
    });
  }

  /** Shallow-merges `properties` into the profile's: given keys replace, others stay. */
  async mergeProperties(projectId: string, id: string, properties: unknown): Promise<ProfileEntity> {
    if (!isJsonObject(properties)) {
      throw new ProfileError(ProfileErrorCode.PropertiesNotAnObject, 'Invalid value for properties: properties must be a JSON object', 'properties');
    }
    if (!isUuid(id)) throw this.notFound(id);
    const survivorId = await this.dataSource.transaction(async (manager) => {
      const typed = await this.typed(manager, projectId, properties, 'properties');
      const written = await this.profiles.mergeProperties(manager, projectId, id, typed, Object.keys(typed).map(verifiedProperty), this.clock.now());
      if (!written) throw this.notFound(id);
      await this.changes.announce(manager, projectId, [written]);
      return written;
    });
    return this.get(projectId, survivorId);
  }

  /** The profile, or the one it was merged into. */
  async get(projectId: string, id: string): Promise<ProfileEntity> {
    const [profile] = await this.findMany(projectId, [id]);
    if (!profile) throw this.notFound(id);
    return profile;
  }

  /** The live profile that owns the identity, or null. */
  async findByIdentity(projectId: string, identity: Identity): Promise<ProfileEntity | null> {
    const profileId = await this.identities.ownerOf(projectId, normalizeIdentity(identity));
    return profileId ? ((await this.findMany(projectId, [profileId]))[0] ?? null) : null;
  }

  /** One page ordered by (createdAt, id), its filters checked and compared in their properties' stored form. */
  async list(projectId: string, first: number, after?: string | null, filter?: ProfileFilter | null): Promise<Page<ProfileEntity>> {
    const position = after ? decodeCursor(after) : null;
    const propertyEquals: [string, unknown][] = [];
    if (filter?.propertyEquals) {
      const entries = Object.entries(filter.propertyEquals);
      if (entries.length > 20) {
        throw new ProfileError(ProfileErrorCode.PropertiesNotAnObject, 'Invalid value for filter.propertyEquals: at most 20 properties', 'filter.propertyEquals');
      }
      // Values are compared as their property's type stores them (e.g. "2026-01-31" for a date property).
      const types = await this.catalog.types(projectId, entries.map(([key]) => key));
      for (const [key, value] of entries) {
        const type = types.get(key);
        const fitted = type ? fitToType(value, type) : null;
        propertyEquals.push([key, fitted?.ok ? fitted.value : value]);
      }
    }
    const conditions: ConditionSql[] = [];
    if (filter?.properties?.length) {
      const types = await this.catalog.types(projectId, filter.properties.map((condition) => condition.name));
      filter.properties.forEach((condition, n) => conditions.push(propertyConditionSql(condition, types.get(condition.name), n)));
    }
    return this.profiles.page(projectId, { first, after: position, hasUserId: filter?.hasUserId, propertyEquals, conditions });
  }

  /**
   * Batch look-up for entity references, still scoped to the caller's project. A merged id
   * yields its survivor, so results are in `ids` order (null where nothing matches).
   */
  async findMany(projectId: string, ids: readonly string[]): Promise<(ProfileEntity | null)[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return ids.map(() => null);
    const rows = await this.profiles.findByIds(projectId, valid);
    const survivorIds = [...new Set(rows.flatMap((row) => (row.mergedInto ? [row.mergedInto] : [])))];
    const survivors = survivorIds.length > 0 ? await this.profiles.findByIds(projectId, survivorIds) : [];
    const byId = new Map([...rows, ...survivors].map((row) => [row.id, row]));
    return ids.map((id) => {
      const row = byId.get(id);
      return (row?.mergedInto ? byId.get(row.mergedInto) : row) ?? null;
    });
  }

  private notFound(id: string): ProfileError {
    return new ProfileError(ProfileErrorCode.ProfileNotFound, `No profile ${id} in this project`, 'id');
  }
}

/** The identities a created profile starts with, and the input field each came from. */
function identitiesOf(input: CreateProfileInput): { identity: Identity; field: string }[] {
  const identities: { identity: Identity; field: string }[] = [];
  if (input.externalId) identities.push({ identity: { kind: 'user_id', value: input.externalId }, field: 'externalId' });
  if (input.anonymousId) identities.push({ identity: { kind: 'anonymous_id', value: input.anonymousId }, field: 'anonymousId' });
  if (input.email) identities.push({ identity: normalizeIdentity({ kind: 'email', value: input.email }), field: 'email' });
  if (input.phone) identities.push({ identity: { kind: 'phone', value: input.phone }, field: 'phone' });
  return identities;
}
