import { z } from 'zod';
import { configProvider } from '@boomerang/platform/config';

export const eventRetentionEnv = z.object({
  /** Months of events kept queryable besides the current one; older months are detached (archived). Unset: unlimited. */
  EVENTS_RETENTION_MONTHS: z.preprocess((value) => (value === '' ? undefined : value), z.coerce.number().int().min(1).optional()),
});
export type EventRetentionConfig = z.infer<typeof eventRetentionEnv>;

export const EVENT_RETENTION_CONFIG = Symbol('EVENT_RETENTION_CONFIG');

/** How long events stay queryable, read once at start. */
export const eventRetentionConfigProvider = configProvider(EVENT_RETENTION_CONFIG, eventRetentionEnv);
