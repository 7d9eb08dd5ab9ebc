import type { MessageOf, ProfileIdentified } from '@boomerang/contracts';
import type { Identity } from './identity.entity.js';

/** ProfileIdentified for a profile that answers to `held`: its user id and every anonymous id among them, in their order. */
export function profileIdentified(projectId: string, profileId: string, held: readonly Identity[], at: Date): MessageOf<typeof ProfileIdentified> {
  return {
    projectId,
    occurredAt: at.toISOString(),
    profileId,
    userId: held.find((identity) => identity.kind === 'user_id')?.value ?? null,
    anonymousIds: held.filter((identity) => identity.kind === 'anonymous_id').map((identity) => identity.value),
  };
}
