import { z } from 'zod';

/** Core NATS request/reply: the gateway asks `workspace` what an API key may do. */
export const ResolveApiKey = {
  name: 'workspace.keys.resolve',
  request: z.object({ key: z.string().min(1).max(200) }),
  reply: z.discriminatedUnion('ok', [
    z.object({
      ok: z.literal(true),
      projectId: z.string().uuid(),
      keyId: z.string().uuid(),
      scope: z.enum(['publishable', 'secret']),
    }),
    z.object({ ok: z.literal(false), reason: z.enum(['unknown', 'revoked', 'malformed']) }),
  ]),
} as const;

export type ResolveApiKeyReply = z.infer<typeof ResolveApiKey.reply>;

/**
 * Core NATS request/reply: the ingestion rules a project has set (`workspace` owns the project).
 * Services cache the answer briefly, so a changed setting bites within their cache lifetime.
 */
export const GetIngestPolicy = {
  name: 'workspace.projects.ingest-policy',
  request: z.object({ projectId: z.string().uuid() }),
  reply: z.discriminatedUnion('ok', [
    z.object({
      ok: z.literal(true),
      /** Publishable-key calls that name a user id must carry a valid user token. */
      requireUserVerification: z.boolean(),
    }),
    z.object({ ok: z.literal(false), reason: z.enum(['unknown']) }),
  ]),
} as const;

export type IngestPolicyReply = z.infer<typeof GetIngestPolicy.reply>;
