import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SubjectNamer } from '@boomerang/contracts';

/** One NATS connection per process with its JetStream handles and subject naming. */
export interface Messaging {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly subjects: SubjectNamer;
}

export async function connectMessaging(options: { url: string; name: string; prefix?: string }): Promise<Messaging> {
  const nc = await connect({
    servers: options.url.split(','),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // No async stack per request: capturing them was a tenth of the outbox relay's CPU.
    noAsyncTraces: true,
  });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc), subjects: new SubjectNamer(options.prefix ?? '') };
}

/** True when the connection is open and the server answers a round trip. */
export async function isNatsReady(nc: NatsConnection, timeoutMs = 1000): Promise<boolean> {
  if (nc.isClosed()) return false;
  try {
    await Promise.race([nc.flush(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs))]);
    return true;
  } catch {
    return false;
  }
}
