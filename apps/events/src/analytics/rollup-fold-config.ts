import { z } from 'zod';
import { configProvider } from '@boomerang/platform/config';
import { MAX_BATCH_PARTS } from '@boomerang/platform/messaging';

export const rollupFoldEnv = z.object({
  /** Concurrent transactions each consumer batch of EventsIngested is folded in (one per core the database can give the fold). */
  ROLLUP_FOLD_PARTS: z.coerce.number().int().min(1).max(MAX_BATCH_PARTS).default(2),
});
export type RollupFoldConfig = z.infer<typeof rollupFoldEnv>;

export const ROLLUP_FOLD_CONFIG = Symbol('ROLLUP_FOLD_CONFIG');

/** How the rollup consumer folds, read once at start. */
export const rollupFoldConfigProvider = configProvider(ROLLUP_FOLD_CONFIG, rollupFoldEnv);
