import { AsyncLocalStorage } from 'node:async_hooks';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Kind, OperationTypeNode, parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { SignedDataSource, type GatewayContext } from '../auth/signed-data-source.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { fetchedFields } from './fetched-fields.js';
import { SubgraphUnavailableError, SubgraphUnavailableReason, UNAVAILABLE_STATUSES, unavailabilityReasonOf } from './subgraph-unavailable.errors.js';

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type ProcessResult = ReturnType<SignedDataSource['process']>;
type SubgraphResponse = Awaited<ProcessResult>;

function parsedOrUndefined(query: string | undefined): DocumentNode | undefined {
  try {
    return query ? parse(query) : undefined;
  } catch {
    return undefined;
  }
}

/** Queries only read, so sending one again cannot do anything twice. */
function isQuery(document: DocumentNode | undefined): boolean {
  const operation = document?.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operation?.kind === Kind.OPERATION_DEFINITION && operation.operation === OperationTypeNode.QUERY;
}

/**
 * How the gateway talks to one subgraph: signed (SignedDataSource), each fetch bounded by the
 * subgraph's timeout, behind its circuit breaker, and a query sent once more when its connection
 * was refused or lost before the answer (a subgraph restarting, or closing idle connections as
 * it drains). A fetch that gets no answer does not fail the client's request: it answers with a
 * `SUBGRAPH_UNAVAILABLE` error on each field the fetch would have filled in, so the gateway
 * nulls those fields and keeps what the other subgraphs answered.
 */
export class SubgraphDataSource extends SignedDataSource {
  private readonly deadlines = new AsyncLocalStorage<AbortSignal>();

  constructor(
    readonly service: string,
    url: string,
    signingSecret: string,
    private readonly timeoutMs: number,
    private readonly breaker: CircuitBreaker,
  ) {
    super(url, signingSecret);
    const signed = this.fetcher;
    this.fetcher = (target, init = {}) => signed(target, { ...init, signal: this.deadlines.getStore() ?? init.signal });
  }

  override async process(options: ProcessOptions): ProcessResult {
    if (!this.breaker.tryAcquire()) return this.unanswered(options, this.unavailable(SubgraphUnavailableReason.CircuitOpen));
    // One deadline for the fetch, its body and its retry: the client waits at most this long for this subgraph.
    const deadline = AbortSignal.timeout(this.timeoutMs);
    let response: SubgraphResponse;
    try {
      response = await this.deadlines.run(deadline, () => this.sendRetryingOnce(options, deadline));
    } catch (error) {
      const unavailable = this.asUnavailable(error);
      if (!unavailable) {
        // It answered, if not with GraphQL: not a reason to stop asking it.
        this.breaker.succeeded();
        throw error;
      }
      this.breaker.failed();
      return this.unanswered(options, unavailable);
    }
    this.breaker.succeeded();
    return response;
  }

  /** 502, 503 and 504 say the subgraph is not there; any other refusal is the subgraph's own answer. */
  override async errorFromResponse(response: Parameters<SignedDataSource['errorFromResponse']>[0]): ReturnType<SignedDataSource['errorFromResponse']> {
    if (UNAVAILABLE_STATUSES.has(response.status)) throw this.unavailable(SubgraphUnavailableReason.AnsweredUnavailable);
    return super.errorFromResponse(response);
  }

  private async sendRetryingOnce(options: ProcessOptions, deadline: AbortSignal): ProcessResult {
    try {
      return await super.process(options);
    } catch (error) {
      const unavailable = this.asUnavailable(error);
      if (!unavailable?.retryable || deadline.aborted || !isQuery(parsedOrUndefined(options.request.query))) throw error;
      return super.process(options);
    }
  }

  private unavailable(reason: SubgraphUnavailableReason): SubgraphUnavailableError {
    return new SubgraphUnavailableError(this.service, reason, this.timeoutMs);
  }

  private asUnavailable(error: unknown): SubgraphUnavailableError | undefined {
    if (error instanceof SubgraphUnavailableError) return error;
    const reason = unavailabilityReasonOf(error);
    return reason ? this.unavailable(reason) : undefined;
  }

  /**
   * The answer to a fetch that got none: no data, and an error on each field it asked for, at
   * the path Apollo Gateway maps into the client's response. Requests the gateway makes on its
   * own (health checks, schema loading) get the error thrown instead.
   */
  private unanswered(options: ProcessOptions, error: SubgraphUnavailableError): SubgraphResponse {
    if (!('incomingRequestContext' in options)) throw error;
    const document = parsedOrUndefined(options.request.query);
    const errors: GraphQLFormattedError[] = document ? fetchedFields(document, options.request.variables).map((field) => error.forField(field.coordinate, field.path)) : [];
    return { errors: errors.length ? errors : [{ message: `Unavailable: ${error.message}`, extensions: error.extensions }] };
  }
}
