import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventsIngested } from '@boomerang/contracts';
import type { BatchMessage, DurableConsumerDefinition } from '@boomerang/platform/messaging';
import { LOGGER, MessagingLifecycle, type Logger } from '@boomerang/platform/subgraph';
import { IngestEvents } from './ingest-events.js';

export const INGESTED_EVENTS_DURABLE = 'profiles-ingested-events';

/**
 * Keeps profiles in step with ingested events, a batch at a time (the events of the messages
 * already received, one transaction; see IngestEvents). A failed batch is retried by the lib one message at a time
 * through the same code, so a poison message is redelivered alone; on its last delivery its events
 * are handled one by one and only the failing ones are dead-lettered, each on its own. The events
 * stream belongs to the events service; until it exists the consumer waits for it.
 *
 * A refused resolution (IDENTITY_CONFLICT: the event's identities belong to different users) is
 * acknowledged, not retried: retrying cannot change the answer. That event's effects are rolled
 * back (savepoint), the refusal is logged as a warning with the message id, and the inbox records
 * the message as handled.
 */
@Injectable()
export class IngestedEventsConsumer {
  constructor(
    lifecycle: MessagingLifecycle,
    private readonly ingestEvents: IngestEvents,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    lifecycle.register(this.definition);
  }

  readonly definition: DurableConsumerDefinition<typeof EventsIngested> = {
    durable: INGESTED_EVENTS_DURABLE,
    contract: EventsIngested,
    // Each message holds up to a few hundred events.
    maxBatchSize: 8,
    handle: (body, { manager, ...context }) => this.handleBatch([{ ...context, body }], manager),
    handleBatch: (messages, manager) => this.handleBatch(messages, manager),
    // A message that still fails on its last delivery is handled event by event: only the events that fail are dead-lettered.
    split: (body) => body.events.map((event) => ({ ...body, events: [event] })),
  };

  private async handleBatch(messages: readonly BatchMessage<typeof EventsIngested>[], manager: EntityManager): Promise<void> {
    const events = messages.flatMap(({ body }) => body.events.map((event) => ({ ...event, projectId: body.projectId })));
    const outcomes = await this.ingestEvents.execute(manager, events);
    outcomes.forEach((outcome, n) => {
      const { messageId, projectId } = events[n]!;
      if (outcome.refused) {
        this.logger.warn(
          { consumer: INGESTED_EVENTS_DURABLE, messageId, projectId, reason: 'IDENTITY_CONFLICT', detail: outcome.refused },
          'identity resolution refused; message acknowledged without changes',
        );
      }
      if (outcome.heldTraits.length > 0) {
        this.logger.info({ consumer: INGESTED_EVENTS_DURABLE, messageId, traits: outcome.heldTraits }, 'traits an unverified event may not change were left alone');
      }
      if (outcome.rejectedTraits.length > 0) {
        this.logger.warn({ consumer: INGESTED_EVENTS_DURABLE, messageId, traits: outcome.rejectedTraits }, 'invalid traits ignored');
      }
      for (const { property, reason } of outcome.rejectedProperties) {
        this.logger.warn({ consumer: INGESTED_EVENTS_DURABLE, messageId, property, reason }, `profile property ${property} rejected: ${reason}`);
      }
      for (const { property, operator, reason } of outcome.skippedOperators) {
        this.logger.warn(
          { consumer: INGESTED_EVENTS_DURABLE, messageId, property, operator, reason },
          `profile operator ${operator} on ${property} skipped: ${reason}`,
        );
      }
    });
  }
}
