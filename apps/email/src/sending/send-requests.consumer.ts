import { randomUUID } from 'node:crypto';
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
    });
  }

  async queue(manager: EntityManager, requests: readonly SendRequest[]): Promise<void> {
    await manager.query(
      `INSERT INTO email_send (id, project_id, idempotency_key, template_id, template_version, profile_id, campaign_id, journey_id, event, campaign, status)
       SELECT * , 'queued' FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::int[], $6::uuid[], $7::uuid[], $8::uuid[], $9::jsonb[], $10::jsonb[])
       ON CONFLICT (project_id, idempotency_key) DO NOTHING`,
      [
        requests.map(() => randomUUID()),
        requests.map((request) => request.projectId),
        requests.map((request) => request.idempotencyKey),
        requests.map((request) => request.templateId),
        requests.map((request) => request.templateVersion),
        requests.map((request) => request.profileId),
        requests.map((request) => request.campaignId),
        requests.map((request) => request.journeyId),
        requests.map((request) => JSON.stringify(request.event ?? {})),
        requests.map((request) => JSON.stringify(request.campaign ?? {})),
      ],
    );
    // Delivered when this transaction commits, so the woken dispatchers find the rows; the poll is the backstop.
    await manager.query(`SELECT pg_notify($1, '')`, [sendsQueuedChannel(manager)]);
  }
}
