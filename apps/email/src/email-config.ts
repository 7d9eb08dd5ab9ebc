import { Global, Module } from '@nestjs/common';
import { z } from 'zod';
import { configProvider } from '@boomerang/platform/config';
import { Clock } from '@boomerang/platform/subgraph';

/** email's own settings, beside the platform ones SubgraphModule loads. One schema for the whole app: add fields here. */
export const emailEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** One Liquid render (subject, body or text part) stops after this long. */
  EMAIL_RENDER_LIMIT_MS: z.coerce.number().int().min(1).max(60_000).default(250),
  /** One Liquid render stops after creating this many objects (array joins, loops, string building). */
  EMAIL_RENDER_MEMORY_LIMIT: z.coerce.number().int().min(1_000).default(10_000_000),
});

export type EmailConfig = z.infer<typeof emailEnv>;

export const EMAIL_CONFIG = Symbol('EMAIL_CONFIG');

/** EMAIL_CONFIG and the one Clock for every email module (tests pin time on that instance). */
@Global()
@Module({
  providers: [configProvider(EMAIL_CONFIG, emailEnv), Clock],
  exports: [EMAIL_CONFIG, Clock],
})
export class EmailConfigModule {}
