import type { Server } from 'node:http';

/**
 * Stops a listener, the subgraph's own (shutDownSubgraph) or one a feature runs beside it (events'
 * ingestion API, voice's public port): no new connections, idle kept-alive ones closed at once and
 * the others as soon as their request in flight is answered, and connections still open after
 * `graceMs` are cut. Resolves once the server has closed.
 */
export async function closeHttpServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A kept-alive connection would otherwise stay open, and take requests, until its keep-alive timeout.
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
