import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from '@boomerang/platform/observability';
import { SUBGRAPH_UNAVAILABLE } from './subgraph-unavailable.errors.js';

/** Where the gateway reaches its subgraphs (`host:port` of each URL), which no client may learn. */
export class SubgraphAddresses {
  private readonly hosts = new Set<string>();

  add(url: string): void {
    try {
      this.hosts.add(new URL(url).host);
    } catch {
      // Not a URL the gateway could fetch from either.
    }
  }

  foundIn(text: string): boolean {
    for (const host of this.hosts) if (text.includes(host)) return true;
    return false;
  }
}

/**
 * The gateway's `formatError`, the one place errors take their client-facing shape: a
 * `SUBGRAPH_UNAVAILABLE` error keeps its message, path and `{ code, service, reason }` only;
 * any other error that would name a subgraph's address is logged and answered as a bare
 * internal error.
 */
export function clientSafeErrors(addresses: SubgraphAddresses, logger: Logger) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const extensions = formatted.extensions ?? {};
    if (extensions.code === SUBGRAPH_UNAVAILABLE) {
      const { code, service, reason } = extensions;
      return { message: formatted.message, ...(formatted.path ? { path: formatted.path } : {}), extensions: { code, service, reason } };
    }
    if (!addresses.foundIn(JSON.stringify(formatted))) return formatted;
    logger.error({ error: formatted }, 'an error naming a subgraph address was answered as an internal error');
    return { message: 'Internal server error', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
