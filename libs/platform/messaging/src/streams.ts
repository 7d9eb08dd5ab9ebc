import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Domain, SubjectNamer } from '@boomerang/contracts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The stream declarations, in code. Each domain's stream is applied by the service that owns
 * (publishes to) it; the dead-letter stream is created by whichever consumer needs it first
 * but never changed by one.
 */
export function domainStreamConfig(subjects: SubjectNamer, domain: Domain): Partial<StreamConfig> & { name: string } {
  return {
    name: subjects.streamName(domain),
    subjects: [subjects.domainWildcard(domain)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(7 * DAY_MS),
    // The outbox relay may republish after a crash; JetStream drops duplicates by Nats-Msg-Id.
    duplicate_window: nanos(10 * 60 * 1000),
    num_replicas: 1,
  };
}

export function deadLetterStreamConfig(subjects: SubjectNamer): Partial<StreamConfig> & { name: string } {
  return {
    name: subjects.deadLetterStream,
    subjects: [subjects.deadLetterWildcard],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(30 * DAY_MS),
    duplicate_window: nanos(10 * 60 * 1000),
    num_replicas: 1,
  };
}

/** True for JetStream's answer about a stream that does not exist. */
export const isStreamMissing = (error: unknown): boolean => /stream not found/i.test(String((error as Error)?.message));

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (error) {
    if (isStreamMissing(error)) return false;
    throw error;
  }
}

/** Creates or updates the stream a service owns so it matches its declaration. */
export async function applyOwnedStream(jsm: JetStreamManager, subjects: SubjectNamer, domain: Domain): Promise<void> {
  const config = domainStreamConfig(subjects, domain);
  if (await streamExists(jsm, config.name)) await jsm.streams.update(config.name, config);
  else await jsm.streams.add(config);
}

export async function ensureDeadLetterStream(jsm: JetStreamManager, subjects: SubjectNamer): Promise<void> {
  const config = deadLetterStreamConfig(subjects);
  if (await streamExists(jsm, config.name)) return;
  await jsm.streams.add(config).catch((error: Error) => {
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
