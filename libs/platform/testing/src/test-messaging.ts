import { randomBytes } from 'node:crypto';
import { connectMessaging, deleteStreamsWithPrefix, type Messaging } from '@boomerang/platform/messaging';
import { createLogger } from '@boomerang/platform/observability';

export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A subject/stream prefix of its own for one test run (`t<random>.`). */
export function uniqueSubjectPrefix(): string {
  return `t${randomBytes(5).toString('hex')}.`;
}

export interface TestMessaging extends Messaging {
  readonly prefix: string;
  /** Deletes this run's streams and closes the connection. */
  cleanup(): Promise<void>;
}

export async function createTestMessaging(prefix = uniqueSubjectPrefix()): Promise<TestMessaging> {
  const messaging = await connectMessaging({ url: TEST_NATS_URL, name: `test-${prefix}`, prefix });
  return {
    ...messaging,
    prefix,
    async cleanup() {
      await deleteStreamsWithPrefix(messaging.jsm, messaging.subjects);
      await messaging.nc.drain();
    },
  };
}

export const silentLogger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** Polls until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(check: () => Promise<T> | T, { timeoutMs = 10_000, intervalMs = 50 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError instanceof Error ? lastError : new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
