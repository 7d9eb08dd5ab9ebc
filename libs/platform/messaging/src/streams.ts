import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Domain, SubjectNamer } from '@boomerang/contracts';
import { streamReplicasErrorOf, StreamReplicasError, StreamReplicasErrorCode, type StreamReplicas } from './stream-replicas.errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The stream declarations, in code. Each domain's stream is applied by the service that owns
 * (publishes to) it; the dead-letter stream is created by whichever consumer needs it first
 * and only ever gets more replicas from one. `replicas` is NATS_STREAM_REPLICAS: JetStream places
 * the copies on that many servers of the cluster, and consumers inherit the stream's count.
 */
export function domainStreamConfig(subjects: SubjectNamer, domain: Domain, replicas: StreamReplicas = 1): Partial<StreamConfig> & { name: string } {
  return {
    name: subjects.streamName(domain),
    subjects: [subjects.domainWildcard(domain)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(7 * DAY_MS),
    // The outbox relay may republish after a crash; JetStream drops duplicates by Nats-Msg-Id.
    duplicate_window: nanos(10 * 60 * 1000),
    num_replicas: replicas,
  };
}

export function deadLetterStreamConfig(subjects: SubjectNamer, replicas: StreamReplicas = 1): Partial<StreamConfig> & { name: string } {
  return {
    name: subjects.deadLetterStream,
    subjects: [subjects.deadLetterWildcard],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(30 * DAY_MS),
    duplicate_window: nanos(10 * 60 * 1000),
    num_replicas: replicas,
  };
}

/** True for JetStream's answer about a stream that does not exist. */
export const isStreamMissing = (error: unknown): boolean => /stream not found/i.test(String((error as Error)?.message));

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (isStreamMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Runs a declaration of `config`, naming NATS_STREAM_REPLICAS when the cluster cannot hold its
 * copies. A server that is not clustered ignores a change of replicas: that is refused here.
 */
async function declareStream(config: Partial<StreamConfig> & { name: string }, declaration: () => Promise<StreamInfo>): Promise<void> {
  const replicas = (config.num_replicas ?? 1) as StreamReplicas;
  let info: StreamInfo;
  try {
    info = await declaration();
  } catch (error) {
    throw streamReplicasErrorOf(error, replicas, config.name) ?? error;
  }
  if (replicas > 1 && !info.cluster) throw new StreamReplicasError(StreamReplicasErrorCode.NotClustered, replicas, config.name);
}

/** Creates or updates the stream a service owns so it matches its declaration. */
export async function applyOwnedStream(jsm: JetStreamManager, subjects: SubjectNamer, domain: Domain, replicas: StreamReplicas = 1): Promise<void> {
  const config = domainStreamConfig(subjects, domain, replicas);
  if (await streamInfo(jsm, config.name)) await declareStream(config, () => jsm.streams.update(config.name, config));
  else await declareStream(config, () => jsm.streams.add(config));
}

/**
 * Creates the dead-letter stream if absent. It has no owner: an existing one is only raised to
 * `replicas` (never lowered, so services configured differently do not undo each other).
 */
export async function ensureDeadLetterStream(jsm: JetStreamManager, subjects: SubjectNamer, replicas: StreamReplicas = 1): Promise<void> {
  const config = deadLetterStreamConfig(subjects, replicas);
  const existing = await streamInfo(jsm, config.name);
  if (existing) {
    if (existing.config.num_replicas < replicas) await declareStream(config, () => jsm.streams.update(config.name, { num_replicas: replicas }));
    return;
  }
  await declareStream(config, () => jsm.streams.add(config)).catch((error: Error) => {
    if (!/already in use/i.test(error.message)) throw error;
  });
}

/** What every stream name of this namer starts with (empty without a subject prefix). */
export const streamPrefix = (subjects: SubjectNamer): string => subjects.streamName('events').replace(/EVENTS$/, '');

/** Test clean-up: deletes every stream whose name starts with the namer's stream prefix. */
export async function deleteStreamsWithPrefix(jsm: JetStreamManager, subjects: SubjectNamer): Promise<void> {
  const prefix = streamPrefix(subjects);
  if (!prefix) throw new Error('refusing to delete streams without a test prefix');
  for await (const info of jsm.streams.list()) {
    if (info.config.name.startsWith(prefix)) await jsm.streams.delete(info.config.name);
  }
}
