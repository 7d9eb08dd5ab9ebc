/** Why a subgraph fetch got no answer; `extensions.reason` of a `SUBGRAPH_UNAVAILABLE` error. */
export enum SubgraphUnavailableReason {
  Timeout = 'TIMEOUT',
  ConnectionRefused = 'CONNECTION_REFUSED',
  ConnectionLost = 'CONNECTION_LOST',
  Unreachable = 'UNREACHABLE',
  /** It answered 502, 503 or 504: a proxy in front of it, or the subgraph itself, says it is not there. */
  AnsweredUnavailable = 'ANSWERED_UNAVAILABLE',
  CircuitOpen = 'CIRCUIT_OPEN',
}

export const SUBGRAPH_UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE';

function assertUnreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

/** What the client is told about each reason: the service by name, never its address. */
function describe(reason: SubgraphUnavailableReason, timeoutMs: number): string {
  switch (reason) {
    case SubgraphUnavailableReason.Timeout:
      return `did not answer within ${timeoutMs} ms`;
    case SubgraphUnavailableReason.ConnectionRefused:
      return 'is not accepting connections';
    case SubgraphUnavailableReason.ConnectionLost:
      return 'closed the connection before answering';
    case SubgraphUnavailableReason.Unreachable:
      return 'could not be reached';
    case SubgraphUnavailableReason.AnsweredUnavailable:
      return 'answered that it is unavailable';
    case SubgraphUnavailableReason.CircuitOpen:
      return 'failed repeatedly and is not asked again for a few seconds';
    default:
      return assertUnreachable(reason);
  }
}

/** The fetch a query plan sent to one subgraph got no answer; what it asked for is null, with this error on each field. */
export class SubgraphUnavailableError extends Error {
  constructor(
    readonly service: string,
    readonly reason: SubgraphUnavailableReason,
    private readonly timeoutMs: number,
  ) {
    super(`the ${service} service ${describe(reason, timeoutMs)}`);
    this.name = 'SubgraphUnavailableError';
  }

  /** Whether sending the same query again may get an answer: nothing, or nothing complete, came back on a connection that is gone. */
  get retryable(): boolean {
    return this.reason === SubgraphUnavailableReason.ConnectionRefused || this.reason === SubgraphUnavailableReason.ConnectionLost;
  }

  /** What a client may read besides the message: the service by name and why, never where it runs. */
  get extensions() {
    return { code: SUBGRAPH_UNAVAILABLE, service: this.service, reason: this.reason };
  }

  /** The GraphQL error for one field the fetch would have filled in (`coordinate` is `Type.field`). */
  forField(coordinate: string, path: readonly (string | number)[]) {
    return { message: `${coordinate} is unavailable: ${this.message}`, path: [...path], extensions: this.extensions };
  }
}

/** Connection errors by their system or undici code. */
const REASON_BY_CODE: Record<string, SubgraphUnavailableReason> = {
  ECONNREFUSED: SubgraphUnavailableReason.ConnectionRefused,
  ECONNRESET: SubgraphUnavailableReason.ConnectionLost,
  EPIPE: SubgraphUnavailableReason.ConnectionLost,
  UND_ERR_SOCKET: SubgraphUnavailableReason.ConnectionLost,
  UND_ERR_CLOSED: SubgraphUnavailableReason.ConnectionLost,
  UND_ERR_CONNECT_TIMEOUT: SubgraphUnavailableReason.Timeout,
  UND_ERR_HEADERS_TIMEOUT: SubgraphUnavailableReason.Timeout,
  UND_ERR_BODY_TIMEOUT: SubgraphUnavailableReason.Timeout,
  ETIMEDOUT: SubgraphUnavailableReason.Timeout,
  ENOTFOUND: SubgraphUnavailableReason.Unreachable,
  EAI_AGAIN: SubgraphUnavailableReason.Unreachable,
  EHOSTUNREACH: SubgraphUnavailableReason.Unreachable,
  ENETUNREACH: SubgraphUnavailableReason.Unreachable,
  EHOSTDOWN: SubgraphUnavailableReason.Unreachable,
};

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown[] };
  if (typeof code === 'string') return code;
  // Connecting to a name with several addresses fails with an AggregateError of each attempt.
  return Array.isArray(errors) ? codeOf(errors[0]) : undefined;
}

/**
 * The reason a fetch to a subgraph failed, when it failed for want of an answer (Node's fetch
 * rejects with `TypeError: fetch failed` or `terminated` and the socket error as `cause`; the
 * deadline's abort with a `TimeoutError`); undefined for anything else. Read by name and code,
 * not `instanceof`: fetch's errors come from Node's own realm.
 */
export function unavailabilityReasonOf(error: unknown): SubgraphUnavailableReason | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError') return SubgraphUnavailableReason.Timeout;
  const code = codeOf(error) ?? codeOf(cause);
  if (code && REASON_BY_CODE[code]) return REASON_BY_CODE[code];
  if (name !== 'TypeError') return undefined;
  // A socket that closed mid-body, without a code of its own.
  if (message === 'terminated') return SubgraphUnavailableReason.ConnectionLost;
  return message === 'fetch failed' ? SubgraphUnavailableReason.Unreachable : undefined;
}

/** HTTP answers that say the subgraph is not there (its proxy's, or its own while it cannot serve). */
export const UNAVAILABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);
