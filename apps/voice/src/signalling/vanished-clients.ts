import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@boomerang/platform/observability';
import { LOGGER } from '@boomerang/platform/subgraph';
import { CallService } from '../calls/call.service.js';
import { ConnectedClients } from '../presence/connected-clients.js';
import { VOICE_CONFIG, type VoiceConfig } from '../voice-config.js';

/**
 * A participant whose last signalling socket closed gets a grace period to reconnect (a
 * network change, a page reload); after it, their live call FAILS with CONNECTION_LOST rather
 * than being hung up, because nobody chose to end it and the outcome should say so.
 */
@Injectable()
export class VanishedClients implements OnModuleDestroy {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly clients: ConnectedClients,
    private readonly calls: CallService,
    @Inject(VOICE_CONFIG) private readonly config: Pick<VoiceConfig, 'VOICE_RECONNECT_GRACE_SECONDS'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  disconnected(projectId: string, profileId: string): void {
    const key = `${projectId}:${profileId}`;
    clearTimeout(this.timers.get(key));
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (this.clients.isConnected(projectId, profileId)) return;
      void this.failLiveCall(projectId, profileId);
    }, this.config.VOICE_RECONNECT_GRACE_SECONDS * 1000);
    timer.unref();
    this.timers.set(key, timer);
  }

  reconnected(projectId: string, profileId: string): void {
    const key = `${projectId}:${profileId}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  onModuleDestroy(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async failLiveCall(projectId: string, profileId: string): Promise<void> {
    try {
      const call = await this.calls.activeCallOf(projectId, profileId);
      if (!call) return;
      this.logger.info({ callId: call.id }, 'participant did not reconnect within the grace period; failing the call');
      await this.calls.fail(projectId, call.id, 'CONNECTION_LOST');
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not fail the call of a vanished client');
    }
  }
}
