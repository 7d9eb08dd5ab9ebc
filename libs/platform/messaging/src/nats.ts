import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SubjectNamer } from '@boomerang/contracts';
import { StreamReplicasError, StreamReplicasErrorCode, type StreamReplicas } from './stream-replicas.errors.js';

/** One NATS connection per process with its JetStream handles and subject naming. */
export interface Messaging {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly subjects: SubjectNamer;
  /** The copies every stream this process declares gets (NATS_STREAM_REPLICAS). */
  readonly streamReplicas: StreamReplicas;
}

export interface MessagingOptions {
  /** One server, or a cluster's servers separated by commas (NATS_URL): the client fails over between them. */
  url: string;
  name: string;
  prefix?: string;
  streamReplicas?: StreamReplicas;
}

/** How long a JetStream request (a publish's ack, an API call) waits before it counts as lost. */
const JETSTREAM_TIMEOUT_MS = 5_000;
/**
 * Attempts of one publish. A stream whose leader was lost has no responder until its replicas
 * elect another (about 8 s on nats-server 2.9); the client's backoff between attempts (0.25 s
 * growing to 5 s) spans about 25 s of that before the caller's own retry takes over.
 */
const PUBLISH_ATTEMPTS = 10;

export async function connectMessaging(options: MessagingOptions): Promise<Messaging> {
  const streamReplicas = options.streamReplicas ?? 1;
  const nc = await connect({
    servers: natsServers(options.url),
    name: options.name,
    // Ride through a node's loss or a restart: reconnect to any listed (or gossiped) server, forever.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // A server that vanished without closing the socket is noticed within two pings.
    pingInterval: 10_000,
    // No async stack per request: capturing them was a tenth of the outbox relay's CPU.
    noAsyncTraces: true,
  });
  if (streamReplicas > 1 && !nc.info?.cluster) {
    await nc.close();
    throw new StreamReplicasError(StreamReplicasErrorCode.NotClustered, streamReplicas);
  }
  return {
    nc,
    js: withPublishRetries(jetstream(nc, { timeout: JETSTREAM_TIMEOUT_MS })),
    jsm: await jetstreamManager(nc, { timeout: JETSTREAM_TIMEOUT_MS }),
    subjects: new SubjectNamer(options.prefix ?? ''),
    streamReplicas,
  };
}

/** The servers of a NATS_URL: one URL, or several separated by commas. */
export const natsServers = (url: string): string[] =>
  url
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server.length > 0);

/**
 * Every publish retries a lost or unanswered ack (a node's loss, a leader election). Each one
 * carries a Nats-Msg-Id, so a retry of a publish that did land is dropped by the stream's
 * duplicate window: retrying can neither lose nor duplicate a message.
 */
function withPublishRetries(js: JetStreamClient): JetStreamClient {
  const publish = js.publish.bind(js);
  js.publish = (subject, payload, options) => publish(subject, payload, { retries: PUBLISH_ATTEMPTS, ...options });
  return js;
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
