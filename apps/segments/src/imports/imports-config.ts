import { z } from 'zod';

/** segments' settings for imports, beside the platform ones SubgraphModule loads. */
export const segmentImportsEnv = z.object({
  /**
   * Base URL clients reach segments' HTTP listener at for uploads (the path `/segment-imports/…`
   * must be routed to it); default: the listener itself, http://127.0.0.1:<port>.
   */
  SEGMENTS_PUBLIC_URL: z.string().url().optional(),
  /** How long an upload URL may be used to start its upload. */
  SEGMENTS_IMPORT_URL_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  /** An import reading more rows than this fails (a runaway or decompression-bomb file). */
  SEGMENTS_IMPORT_MAX_ROWS: z.coerce.number().int().min(1).default(10_000_000),
  /** Unmatched rows kept per import for `unmatchedRows` (all are counted). */
  SEGMENTS_IMPORT_KEPT_UNMATCHED_ROWS: z.coerce.number().int().min(0).default(10_000),
  /** `true`: a sourceUrl may reach loopback, private, link-local and metadata addresses (development only). */
  SEGMENT_IMPORT_ALLOW_PRIVATE_URLS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export type SegmentImportsConfig = z.infer<typeof segmentImportsEnv>;

export const SEGMENT_IMPORTS_CONFIG = Symbol('SEGMENT_IMPORTS_CONFIG');
