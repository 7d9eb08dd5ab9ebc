import { Module } from '@nestjs/common';
import { z } from 'zod';
import { configProvider } from '@boomerang/platform/config';

/** The ingestion API's own settings; it listens on the platform's HOST (SUBGRAPH_CONFIG). */
export const ingestEnv = z.object({
  INGEST_PORT: z.coerce.number().int().min(0).max(65535).default(4200),
  /** How long a resolved write key or a project's ingest policy is trusted before workspace is asked again. */
  INGEST_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5_000),
  /** The API's address as browsers reach it (e.g. https://ingest.example.com), when a proxy rewrites Host; analytics.js is pointed there. */
  INGEST_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
});
export type IngestConfig = z.infer<typeof ingestEnv>;

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

/** The ingestion settings, read once at start and injected wherever they are needed (the ingestion API, verification). */
@Module({ providers: [configProvider(INGEST_CONFIG, ingestEnv)], exports: [INGEST_CONFIG] })
export class IngestConfigModule {}
