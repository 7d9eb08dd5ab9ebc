import { createHash } from 'node:crypto';
import type { ApolloGateway } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { operationFromDocument } from '@apollo/federation-internals';
import type { DocumentNode } from 'graphql';
import type { Logger } from '@boomerang/platform/observability';

interface SeenOperation {
  document: DocumentNode;
  operationName?: string | null;
}

/** The parts of ApolloGateway's query planning this warmer reaches into (not public API). */
interface GatewayPlanning {
  apiSchema: Parameters<typeof operationFromDocument>[0];
  queryPlanner: { buildQueryPlan(operation: ReturnType<typeof operationFromDocument>): unknown };
  queryPlanStore: { set(key: string, plan: unknown): Promise<void> };
}

/**
 * Keeps the gateway's query-plan cache warm across supergraph reloads: it remembers the most
 * recent distinct operations and, when a new supergraph replaces the cache, plans them again
 * before clients ask. Keys match the gateway's own (query hash, plus operation name).
 */
export class QueryPlanWarmer {
  private readonly seen = new Map<string, SeenOperation>();

  constructor(
    private readonly logger: Logger,
    private readonly capacity = 500,
  ) {}

  plugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ request, document, queryHash }) => {
          const key = request.operationName
            ? createHash('sha256').update(queryHash).update(request.operationName).digest('hex')
            : queryHash;
          if (this.seen.has(key)) this.seen.delete(key);
          else if (this.seen.size >= this.capacity) this.seen.delete(this.seen.keys().next().value!);
          this.seen.set(key, { document, operationName: request.operationName });
        },
      }),
    };
  }

  attach(gateway: ApolloGateway): void {
    let first = true;
    gateway.onSchemaLoadOrUpdate(() => {
      if (first) return void (first = false);
      // The gateway swaps its planner synchronously before notifying; plan on the next tick.
      setImmediate(() => void this.warm(gateway as unknown as GatewayPlanning));
    });
  }

  async warm(gateway: GatewayPlanning): Promise<number> {
    let planned = 0;
    for (const [key, { document, operationName }] of this.seen) {
      try {
        const operation = operationFromDocument(gateway.apiSchema, document, { operationName: operationName ?? undefined });
        await gateway.queryPlanStore.set(key, gateway.queryPlanner.buildQueryPlan(operation));
        planned++;
      } catch {
        this.seen.delete(key); // no longer valid against the new schema
      }
    }
    this.logger.info({ planned }, 'query-plan cache re-warmed after supergraph update');
    return planned;
  }
}
