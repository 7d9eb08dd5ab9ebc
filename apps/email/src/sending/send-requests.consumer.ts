import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EmailSendRequested, type MessageOf } from '@boomerang/contracts';
import { MessagingLifecycle } from '@boomerang/platform/subgraph';
import { sendsQueuedChannel } from './send-dispatcher.js';

export const SEND_REQUESTED_DURABLE = 'email-send-requested';

type SendRequest = MessageOf<typeof EmailSendRequested>;

/**
 * A version 7 UUID (RFC 9562: the milliseconds since the epoch, then 74 random bits): sends queued
 * together get neighbouring ids, so the primary key takes a blast's rows (and the claim's and the
 * result's new versions of them) at its right edge, not on a random leaf page each. Into a key of a
 * million random ids, 20,000 more took 160–206 ms; in time order 117 ms (EXPLAIN ANALYZE).
 * PostgreSQL 15 has no uuidv7(): a v4's first 48 bits become the time, its version 4 becomes 7.
 */
const TIME_ORDERED_UUID = `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    placing substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid`;

/**
 * Takes send commands (`email.<project>.send-requested`) into email_send and the dispatcher's queue,
 * in the consumer's transaction: a command whose idempotency key the project already used adds nothing, so a
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
    // Each new send is also queued for the dispatcher (email_send_queue); a repeated key adds neither.
    await manager.query(
      `WITH taken AS (
         INSERT INTO email_send (id, project_id, idempotency_key, template_id, template_version, profile_id, campaign_id, journey_id, event, campaign, status)
         SELECT ${TIME_ORDERED_UUID}, r."projectId", r."idempotencyKey", r."templateId", r."templateVersion", r."profileId", r."campaignId", r."journeyId",
           coalesce(r.event, '{}'), coalesce(r.campaign, '{}'), 'queued'
         FROM json_to_recordset($1::json) AS r("projectId" uuid, "idempotencyKey" text, "templateId" uuid, "templateVersion" int, "profileId" uuid, "campaignId" uuid, "journeyId" uuid, event jsonb, campaign jsonb)
         ON CONFLICT (project_id, idempotency_key) DO NOTHING
         RETURNING id, next_attempt_at)
       INSERT INTO email_send_queue (send_id, next_attempt_at) SELECT id, next_attempt_at FROM taken`,
      [JSON.stringify(requests)],
    );
    // Delivered when this transaction commits, so the woken dispatchers find the rows; the poll is the backstop.
    await manager.query(`SELECT pg_notify($1, '')`, [sendsQueuedChannel(manager)]);
  }
}
