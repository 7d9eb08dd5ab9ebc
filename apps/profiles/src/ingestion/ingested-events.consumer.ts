import { Inject, Injectable } from '@nestjs/common';
import { EventIngested } from '@boomerang/contracts';
import type { DurableConsumerDefinition } from '@boomerang/platform/messaging';
import { DomainError, LOGGER, MessagingLifecycle, type Logger } from '@boomerang/platform/subgraph';
import { ProfileErrorCode } from '../profiles/profile.errors.js';
import { IngestEvent } from './ingest-event.js';

export const INGESTED_EVENTS_DURABLE = 'profiles-ingested-events';

/**
 * Keeps profiles in step with ingested events. The events stream belongs to the events service;
 * until it exists the consumer waits for it (DurableConsumer does that) instead of declaring it.
 *
 * A refused resolution (IDENTITY_CONFLICT: the event's identities belong to different users) is
 * acknowledged, not retried: retrying cannot change the answer. Its effects are rolled back, the
 * refusal is logged as a warning with the profile ids and the message id, and the inbox records
 * the message as handled.
 */
@Injectable()
export class IngestedEventsConsumer {
  constructor(
    lifecycle: MessagingLifecycle,
    private readonly ingestEvent: IngestEvent,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    lifecycle.register(this.definition);
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
        for (const { property, operator, reason } of outcome.skippedOperators) {
          this.logger.warn(
            { consumer: INGESTED_EVENTS_DURABLE, messageId: context.messageId, property, operator, reason },
            `profile operator ${operator} on ${property} skipped: ${reason}`,
          );
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
}
