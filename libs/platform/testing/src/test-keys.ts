import { ResolveApiKey, type ResolveApiKeyReply } from '@boomerang/contracts';
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
