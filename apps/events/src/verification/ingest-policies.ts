import { Inject, Injectable } from '@nestjs/common';
import { GetIngestPolicy, type IngestPolicyReply } from '@boomerang/contracts';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';
import { MESSAGING } from '@boomerang/platform/subgraph';
import { INGEST_CONFIG, type IngestConfig } from '../ingestion/ingest-config.js';
import { IngestionError, IngestionErrorCode } from '../ingestion/ingestion.errors.js';

/**
 * Each project's ingest policy (workspace owns it), asked over NATS request/reply and kept for
 * the key cache's lifetime, so a changed setting bites within seconds and a hot project costs no
 * round trip. Concurrent look-ups of one project share a request.
 */
@Injectable()
export class IngestPolicies {
  private readonly entries = new Map<string, { reply: IngestPolicyReply; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<IngestPolicyReply>>();
  private readonly ttlMs: number;

  constructor(
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(INGEST_CONFIG) config: IngestConfig,
  ) {
    this.ttlMs = config.INGEST_KEY_CACHE_TTL_MS;
  }

  /** Whether the project requires user tokens for publishable calls that name a user id (true when unknown: fail closed). */
  async requiresUserVerification(projectId: string): Promise<boolean> {
    const cached = this.entries.get(projectId);
    const reply = cached && cached.expiresAt > Date.now() ? cached.reply : await this.fetch(projectId);
    return !reply.ok || reply.requireUserVerification;
  }

  private async fetch(projectId: string): Promise<IngestPolicyReply> {
    let pending = this.inFlight.get(projectId);
    if (!pending) {
      pending = callRpc(this.messaging.nc, this.messaging.subjects, GetIngestPolicy, { projectId }).finally(() => this.inFlight.delete(projectId));
      this.inFlight.set(projectId, pending);
    }
    let reply: IngestPolicyReply;
    try {
      reply = await pending;
    } catch {
      // Like a key look-up: 503, so clients retry instead of dropping what they sent.
      throw new IngestionError(IngestionErrorCode.Unavailable, "Cannot read the project's ingest policy right now; retry later");
    }
    if (this.entries.size >= 10_000) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(projectId, { reply, expiresAt: Date.now() + this.ttlMs });
    return reply;
  }
}
