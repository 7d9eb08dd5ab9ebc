import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { ProfileCreated } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import type { CreateProfileInput } from './dto/create-profile.input.js';
import { ProfileEntity } from './profile.entity.js';
import { ProfileError, ProfileErrorCode } from './profile.errors.js';
import { Clock, decodeCursor, isUuid, type Page, isJsonObject } from '@boomerang/platform/subgraph';

@Injectable()
export class ProfileService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  /** Creates a profile and announces it; a taken externalId is a conflict on `input.externalId`. */
  create(projectId: string, input: CreateProfileInput): Promise<ProfileEntity> {
    return this.dataSource.transaction(async (manager) => {
      const now = this.clock.now();
      const profile = manager.create(ProfileEntity, {
        id: randomUUID(),
        projectId,
        externalId: input.externalId ?? null,
        anonymousId: input.anonymousId ?? null,
        email: input.email ?? null,
        phone: input.phone ?? null,
        name: input.name ?? null,
        properties: input.properties ?? {},
        createdAt: now,
        updatedAt: now,
      });
      // ON CONFLICT instead of catching the violation: a failed statement would be logged with its
      // parameters, and those include personal data.
      const inserted = (await manager.query(
        `INSERT INTO profile (id, project_id, external_id, anonymous_id, email, phone, name, properties, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9)
         ON CONFLICT (project_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
         RETURNING id`,
        [profile.id, projectId, profile.externalId, profile.anonymousId, profile.email, profile.phone, profile.name, JSON.stringify(profile.properties), now],
      )) as { id: string }[];
      if (inserted.length === 0) {
        throw new ProfileError(ProfileErrorCode.ExternalIdTaken, 'A profile with this externalId already exists in the project', 'input.externalId');
      }
      await this.outbox.enqueue(manager, ProfileCreated, {
        projectId,
        occurredAt: now.toISOString(),
        profileId: profile.id,
        externalId: profile.externalId,
      });
      return profile;
    });
  }

  /** Shallow-merges `properties` into the profile's: given keys replace, others stay. */
  async mergeProperties(projectId: string, id: string, properties: unknown): Promise<ProfileEntity> {
    if (!isJsonObject(properties)) {
      throw new ProfileError(ProfileErrorCode.PropertiesNotAnObject, 'Invalid value for properties: properties must be a JSON object', 'properties');
    }
    if (!isUuid(id)) throw this.notFound(id);
    const [rows] = (await this.dataSource.query(
      `UPDATE profile SET properties = properties || $3::jsonb, updated_at = $4
       WHERE id = $1 AND project_id = $2 RETURNING id`,
      [id, projectId, JSON.stringify(properties), this.clock.now()],
    )) as [{ id: string }[], number];
    if (rows.length === 0) throw this.notFound(id);
    return this.get(projectId, id);
  }

  async get(projectId: string, id: string): Promise<ProfileEntity> {
    const profile = isUuid(id) ? await this.dataSource.getRepository(ProfileEntity).findOneBy({ id, projectId }) : null;
    if (!profile) throw this.notFound(id);
    return profile;
  }

  /** One page ordered by (createdAt, id); fetches one extra row to know whether more follow. */
  async list(projectId: string, first: number, after?: string | null): Promise<Page<ProfileEntity>> {
    const query = this.dataSource
      .getRepository(ProfileEntity)
      .createQueryBuilder('profile')
      .where('profile.project_id = :projectId', { projectId })
      .orderBy('profile.created_at', 'ASC')
      .addOrderBy('profile.id', 'ASC')
      .limit(first + 1);
    if (after) {
      const position = decodeCursor(after);
      query.andWhere('(profile.created_at, profile.id) > (:at::timestamptz, :id::uuid)', { at: position.at.toISOString(), id: position.id });
    }
    const rows = await query.getMany();
    return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Batch look-up for entity references, still scoped to the caller's project. */
  findMany(projectId: string, ids: readonly string[]): Promise<ProfileEntity[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(ProfileEntity).findBy({ id: In(valid), projectId });
  }

  private notFound(id: string): ProfileError {
    return new ProfileError(ProfileErrorCode.ProfileNotFound, `No profile ${id} in this project`, 'id');
  }
}
