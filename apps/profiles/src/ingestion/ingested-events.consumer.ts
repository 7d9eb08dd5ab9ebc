import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventIngested } from '@boomerang/contracts';
import type { DurableConsumerDefinition, Messaging } from '@boomerang/platform/messaging';
import { DomainError, LOGGER, MESSAGING, MessagingLifecycle, type Logger } from '@boomerang/platform/subgraph';
import { ProfileErrorCode } from '../profiles/profile.errors.js';
import { IngestEvent } from './ingest-event.js';

export const INGESTED_EVENTS_DURABLE = 'profiles-ingested-events';

/**
 * Keeps profiles in step with ingested events. The events stream belongs to the events service,
 * so this consumer waits (with backoff) until the stream exists instead of declaring it.
 *
 * A refused resolution (IDENTITY_CONFLICT: the event's identities belong to different users) is
 * acknowledged, not retried: retrying cannot change the answer. Its effects are rolled back, the
 * refusal is logged as a warning with the profile ids and the message id, and the inbox records
 * the message as handled.
 */
@Injectable()
export class IngestedEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private stopped = false;
  private readonly abort = new AbortController();
  private waiting?: Promise<void>;

  constructor(
    private readonly lifecycle: MessagingLifecycle,
    private readonly ingestEvent: IngestEvent,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.waiting = this.registerWhenStreamExists();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.waiting;
  }

  readonly definition: DurableConsumerDefinition<typeof EventIngested> = {
    durable: INGESTED_EVENTS_DURABLE,
    contract: EventIngested,
    handle: async (body, context) => {
      try {
        // A savepoint: a refusal undoes this message's effects but keeps the inbox row.
        const outcome = await context.manager.transaction((manager) => this.ingestEvent.execute(manager, body));
        if (outcome.rejectedTraits.length > 0) {
          this.logger.warn({ consumer: INGESTED_EVENTS_DURABLE, messageId: context.messageId, traits: outcome.rejectedTraits }, 'invalid traits ignored');
        }
      } catch (error) {
        if (!(error instanceof DomainError) || error.code !== ProfileErrorCode.IdentityConflict) throw error;
        this.logger.warn(
          { consumer: INGESTED_EVENTS_DURABLE, messageId: context.messageId, projectId: context.projectId, reason: error.code, detail: error.message },
          'identity resolution refused; message acknowledged without changes',
        );
      }
    },
  };

  private async registerWhenStreamExists(): Promise<void> {
    const stream = this.messaging.subjects.streamName(EventIngested.domain);
    for (let delayMs = 250; !this.stopped; delayMs = Math.min(delayMs * 2, 10_000)) {
      try {
        await this.messaging.jsm.streams.info(stream);
        if (this.stopped) return;
        this.lifecycle.register(this.definition);
        this.logger.info({ consumer: INGESTED_EVENTS_DURABLE, stream }, 'consuming ingested events');
        return;
      } catch (error) {
        if (!/stream not found/i.test((error as Error).message)) this.logger.warn({ err: error, stream }, 'checking the events stream failed');
        else if (delayMs === 250) this.logger.info({ stream }, 'events stream not there yet; waiting for the events service to declare it');
      }
      await sleep(delayMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }
}
