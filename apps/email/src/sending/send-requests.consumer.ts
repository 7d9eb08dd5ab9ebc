import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EmailSendRequested, type MessageOf } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import { sendsQueuedChannel } from './send-dispatcher.js';

export const SEND_REQUESTED_DURABLE = 'email-send-requested';

type SendRequest = MessageOf<typeof EmailSendRequested>;

/**
 * Takes send commands (`email.<project>.send-requested`) into email_send, in the consumer's
 * transaction: a command whose idempotency key the project already used adds nothing, so a
 * redelivered or repeated command sends one email. The dispatcher does the sending.
 */
@Injectable()
export class SendRequestsConsumer {
  constructor(lifecycle: MessagingLifecycle) {
    lifecycle.register({
      durable: SEND_REQUESTED_DURABLE,
      contract: EmailSendRequested,
      handle: (body, { manager }) => this.queue(manager, [body]),
      handleBatch: (messages, manager) => this.queue(manager, messages.map((message) => message.body)),
      maxBatchSize: 500,
      // A command is one email_send row under its idempotency key (ON CONFLICT DO NOTHING): taken in again it adds nothing, so no inbox row.
      idempotentHandler: true,
    });
  }

  async queue(manager: EntityManager, requests: readonly SendRequest[]): Promise<void> {
    // The validated commands as one JSON array: as ten arrays, node-postgres would quote and escape every element (each event a JSON text full of quotes).
    await manager.query(
      `INSERT INTO email_send (id, project_id, idempotency_key, template_id, template_version, profile_id, campaign_id, journey_id, event, campaign, status)
       SELECT gen_random_uuid(), r."projectId", r."idempotencyKey", r."templateId", r."templateVersion", r."profileId", r."campaignId", r."journeyId",
         coalesce(r.event, '{}'), coalesce(r.campaign, '{}'), 'queued'
       FROM json_to_recordset($1::json) AS r("projectId" uuid, "idempotencyKey" text, "templateId" uuid, "templateVersion" int, "profileId" uuid, "campaignId" uuid, "journeyId" uuid, event jsonb, campaign jsonb)
       ON CONFLICT (project_id, idempotency_key) DO NOTHING`,
      [JSON.stringify(requests)],
    );
    // Delivered when this transaction commits, so the woken dispatchers find the rows; the poll is the backstop.
    await manager.query(`SELECT pg_notify($1, '')`, [sendsQueuedChannel(manager)]);
  }
}
