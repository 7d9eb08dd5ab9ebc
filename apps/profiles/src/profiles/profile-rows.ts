import type { EntityManager } from 'typeorm';
import { ProfileEntity } from './profile.entity.js';

/** Locks the live profiles among `ids` for the rest of the transaction, in id order (no crosswise waits). */
export function lockProfiles(manager: EntityManager, projectId: string, ids: readonly string[]): Promise<ProfileEntity[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return manager
    .getRepository(ProfileEntity)
    .createQueryBuilder('profile')
    .setLock('pessimistic_write')
    .where('profile.project_id = :projectId', { projectId })
    .andWhere('profile.id = ANY(:ids::uuid[])', { ids })
    .andWhere('profile.merged_into IS NULL')
    .orderBy('profile.id', 'ASC')
    .getMany();
}
