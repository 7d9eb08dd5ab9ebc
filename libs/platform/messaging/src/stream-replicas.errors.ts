/** How many copies JetStream keeps of every stream (`NATS_STREAM_REPLICAS`): odd, so a majority survives a node's loss. */
export type StreamReplicas = 1 | 3 | 5;

/** Why the streams cannot have the replicas `NATS_STREAM_REPLICAS` asks for. */
export enum StreamReplicasErrorCode {
  /** The server runs alone: it keeps one copy of a stream. */
  NotClustered = 'NOT_CLUSTERED',
  /** The cluster has fewer JetStream servers online than copies to place. */
  TooFewServers = 'TOO_FEW_SERVERS',
}

/** JetStream's error codes for a placement it refuses. */
const JETSTREAM_NOT_CLUSTERED = 10074;
const JETSTREAM_NO_SUITABLE_PEERS = 10005;

function assertUnreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

function explain(code: StreamReplicasErrorCode, replicas: StreamReplicas): string {
  switch (code) {
    case StreamReplicasErrorCode.NotClustered:
      return `the NATS server is not part of a cluster; set NATS_STREAM_REPLICAS=1, or run a cluster of at least ${replicas} nodes (npm run nats:cluster) and list them in NATS_URL`;
    case StreamReplicasErrorCode.TooFewServers:
      return `the NATS cluster has fewer than ${replicas} JetStream servers online; lower NATS_STREAM_REPLICAS or start more nodes`;
    default:
      return assertUnreachable(code);
  }
}

/** A service refuses to start with streams it cannot replicate as configured. */
export class StreamReplicasError extends Error {
  constructor(
    readonly code: StreamReplicasErrorCode,
    readonly replicas: StreamReplicas,
    readonly stream?: string,
  ) {
    super(`NATS_STREAM_REPLICAS=${replicas}${stream ? ` cannot be applied to stream ${stream}` : ''}: ${explain(code, replicas)}`);
    this.name = 'StreamReplicasError';
  }
}

/** The StreamReplicasError that JetStream's refusal to declare `stream` stands for, if it stands for one. */
export function streamReplicasErrorOf(error: unknown, replicas: StreamReplicas, stream: string): StreamReplicasError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === JETSTREAM_NOT_CLUSTERED) return new StreamReplicasError(StreamReplicasErrorCode.NotClustered, replicas, stream);
  if (code === JETSTREAM_NO_SUITABLE_PEERS) return new StreamReplicasError(StreamReplicasErrorCode.TooFewServers, replicas, stream);
  return undefined;
}
