import { randomUUID } from 'node:crypto';
import type { PubAck } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { ListProfileIds, type Domain, type MessageContract, type MessageOf } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import { KnownProfiles } from '@boomerang/platform/subgraph';
import { eventually, silentLogger } from './test-messaging.js';
import type { TestSubgraph } from './test-subgraph.js';

/** Records the ids in the subgraph's projection of profiles (KnownProfiles), as their ProfileCreated would; returns them. */
export async function seedKnownProfiles(sut: Pick<TestSubgraph, 'app'>, projectId: string, profileIds: readonly string[]): Promise<string[]> {
  const knownProfiles = sut.app.get(KnownProfiles);
  const occurredAt = new Date().toISOString();
  await sut.app.get(DataSource).transaction((manager) => knownProfiles.remember(manager, profileIds.map((profileId) => ({ projectId, profileId, occurredAt }))));
  return [...profileIds];
}

/** `count` new profile ids of the project that the subgraph knows (seedKnownProfiles). */
export const newKnownProfiles = (sut: Pick<TestSubgraph, 'app'>, projectId: string, count: number): Promise<string[]> =>
  seedKnownProfiles(sut, projectId, Array.from({ length: count }, () => randomUUID()));

/** One new profile id of the project that the subgraph knows. */
export const newKnownProfile = async (sut: Pick<TestSubgraph, 'app'>, projectId: string): Promise<string> => (await newKnownProfiles(sut, projectId, 1))[0]!;

/**
 * Stands in for `profiles` answering the backfill of a projection of profiles: serves the array it
 * returns (fill it before the subgraph starts) in id order, `pageSize` per page.
 */
export function serveProfileIds(messaging: Pick<Messaging, 'nc' | 'subjects'>, pageSize = 2): { projectId: string; profileId: string }[] {
  const profiles: { projectId: string; profileId: string }[] = [];
  serveRpc(
    messaging.nc,
    messaging.subjects,
    ListProfileIds,
    async ({ after, limit }) => {
      const page = [...profiles].sort((a, b) => a.profileId.localeCompare(b.profileId)).filter((profile) => after === null || profile.profileId > after).slice(0, Math.min(limit, pageSize));
      const last = page[page.length - 1];
      return { profiles: page, next: page.length === Math.min(limit, pageSize) && last ? last.profileId : null };
    },
    silentLogger,
  );
  return profiles;
}

/** Publishes a message as its owner's outbox relay would (own message id); `occurredAt` defaults to now. */
export function publishMessage<C extends MessageContract>(
  messaging: Pick<Messaging, 'js' | 'subjects'>,
  contract: C,
  projectId: string,
  body: Omit<MessageOf<C>, 'projectId' | 'occurredAt'>,
  { occurredAt = new Date(), messageId = randomUUID() }: { occurredAt?: Date; messageId?: string } = {},
): Promise<PubAck> {
  return messaging.js.publish(messaging.subjects.subject(contract, projectId), JSON.stringify({ projectId, occurredAt: occurredAt.toISOString(), ...body }), {
    msgID: messageId,
  });
}

/** Resolves once the durable consumer on the domain's stream has handled (acknowledged) everything up to `ack`. */
export const consumedUpTo = (messaging: Pick<Messaging, 'jsm' | 'subjects'>, domain: Domain, durable: string, ack: PubAck) =>
  eventually(async () => {
    const info = await messaging.jsm.consumers.info(messaging.subjects.streamName(domain), durable);
    return info.delivered.stream_seq >= ack.seq && info.num_ack_pending === 0;
  });
