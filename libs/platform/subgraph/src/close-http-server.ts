import type { Server } from 'node:http';

/**
 * Stops a listener a feature runs beside the subgraph's own (events' ingestion API, voice's public
 * port): no new connections, idle kept-alive ones closed at once, requests in flight finish, and
 * connections still open after `graceMs` are cut. Resolves once the server has closed.
 */
export async function closeHttpServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(cut);
}
