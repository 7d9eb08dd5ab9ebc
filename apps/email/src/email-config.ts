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
  /** Worker threads rendering the dispatcher's messages (Liquid, tracking, MIME); unset: the cores but one, 1 to 4. */
  EMAIL_RENDER_THREADS: z.coerce.number().int().min(1).max(16).optional(),
  /** Heap of each render thread (MB): a render that gets past Liquid's limits ends its thread, not the service. */
  EMAIL_RENDER_THREAD_HEAP_MB: z.coerce.number().int().min(16).default(256),
  /** Where a project without sender settings sends (e.g. npm start's mail catcher); unset: such sends wait, deferred. */
  EMAIL_DEFAULT_SMTP_URL: z.string().url().optional(),
  /** From address for a project without sender settings. */
  EMAIL_DEFAULT_FROM: z.string().email().default('boomerang@localhost'),
  /** The domain in Message-IDs (`<sendId@domain>`). */
  EMAIL_MESSAGE_ID_DOMAIN: z.string().min(1).default('boomerang.local'),
  /** Sends claimed per dispatcher round. */
  EMAIL_SEND_BATCH: z.coerce.number().int().min(1).max(1000).default(100),
  /** How often the dispatcher looks for due sends when nothing woke it. */
  EMAIL_SEND_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  /** A claim (or SMTP attempt, which renews it) this old and unrecorded belongs to a dispatcher that died: sent again if it never reached SMTP, else settled uncertain. */
  EMAIL_SEND_LEASE_MS: z.coerce.number().int().min(100).default(120_000),
  /** Attempts (first included) before a send that keeps meeting 4xx or no server fails. */
  EMAIL_SEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(10),
  EMAIL_RETRY_BASE_MS: z.coerce.number().int().min(1).default(30_000),
  EMAIL_RETRY_MAX_MS: z.coerce.number().int().min(1).default(3_600_000),
  /** Public base URL of the tracking routes (`/t/…` on this app's HTTP port, behind a proxy), e.g. https://t.brand.example; unset: this listener's http://127.0.0.1:<port>. */
  EMAIL_TRACKING_URL: z.string().url().optional(),
  /** Domain of the VERP return path (`b+<sendId>@domain`) and the mailto unsubscribe address; its MX is the inbound listener. */
  EMAIL_BOUNCE_DOMAIN: z.string().min(1).default('bounces.boomerang.local'),
  /** Port of the inbound SMTP listener for bounces (DSNs), complaint reports (ARF, at fbl@) and mailto unsubscribes; unset: none (0: any free port). */
  EMAIL_BOUNCE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Per recipient domain: messages started per second, and in flight at once. */
  EMAIL_DOMAIN_RATE_PER_SECOND: z.coerce.number().min(0.1).default(200),
  EMAIL_DOMAIN_MAX_CONCURRENT: z.coerce.number().int().min(1).default(20),
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
