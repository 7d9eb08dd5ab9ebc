import { GetIngestPolicy, ResolveApiKey, type ResolveApiKeyReply } from '@boomerang/contracts';
import { serveRpc, type Messaging } from '@boomerang/platform/messaging';
import { silentLogger } from './test-messaging.js';

/**
 * Stands in for `workspace` in tests of other services: answers API-key look-ups on the test's
 * NATS prefix from the map it returns (unknown keys are reported as unknown).
 */
export function serveTestKeys(messaging: Pick<Messaging, 'nc' | 'subjects'>): Map<string, ResolveApiKeyReply> {
  const keys = new Map<string, ResolveApiKeyReply>();
  serveRpc(messaging.nc, messaging.subjects, ResolveApiKey, async ({ key }) => keys.get(key) ?? ({ ok: false, reason: 'unknown' } as const), silentLogger);
  return keys;
}

/**
 * Stands in for `workspace`'s ingest-policy look-ups: every project is known and requires no user
 * verification unless its id is added to the set returned.
 */
export function serveTestIngestPolicies(messaging: Pick<Messaging, 'nc' | 'subjects'>): Set<string> {
  const requiring = new Set<string>();
  serveRpc(messaging.nc, messaging.subjects, GetIngestPolicy, async ({ projectId }) => ({ ok: true, requireUserVerification: requiring.has(projectId) }) as const, silentLogger);
  return requiring;
}
