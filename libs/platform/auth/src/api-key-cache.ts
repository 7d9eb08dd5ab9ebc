import { ResolveApiKey, type ResolveApiKeyReply } from '@boomerang/contracts';
import { callRpc, type Messaging } from '@boomerang/platform/messaging';

/**
 * Resolves API keys through `workspace` over NATS request/reply and remembers each answer for
 * a short TTL, so a hot key costs no round trip and a revocation takes effect within the TTL.
 * Concurrent look-ups of the same key share one request. While workspace does not answer (it is
 * restarting), an expired answer keeps serving for `staleIfErrorMs`, so its deploy refuses no caller.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { reply: ResolveApiKeyReply; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<ResolveApiKeyReply>>();

  constructor(
    private readonly messaging: Pick<Messaging, 'nc' | 'subjects'>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
    /** How long past its expiry an answer still serves while workspace does not answer (a restart or deploy); 0: never. */
    private readonly staleIfErrorMs = 0,
  ) {}

  async resolve(key: string): Promise<ResolveApiKeyReply> {
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.reply;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = callRpc(this.messaging.nc, this.messaging.subjects, ResolveApiKey, { key }).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    let reply: ResolveApiKeyReply;
    try {
      reply = await pending;
    } catch (error) {
      if (cached && cached.expiresAt + this.staleIfErrorMs > this.now()) return cached.reply;
      throw error;
    }
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { reply, expiresAt: this.now() + this.ttlMs });
    return reply;
  }
}
