import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Webhook } from 'standardwebhooks';
import type { DataSource } from 'typeorm';
import { Clock, LOGGER, outboundLookup, refusedLiteralHost, type Logger } from '@boomerang/platform/subgraph';
import { CampaignJobs } from '../jobs/campaign-jobs.js';
import { EngagementLedger } from '../stats/engagement-ledger.js';
import { WEBHOOK_QUEUE, type WebhookJob } from './webhook-channel.js';
import { CAMPAIGN_WEBHOOKS_CONFIG, type CampaignWebhooksConfig } from './webhooks-config.js';

/** An answer that will not change on retry: the address is refused, or the receiver says the endpoint is gone. */
class PermanentFailure extends Error {}

interface DeliveryRow {
  campaign_id: string;
  profile_id: string;
  url: string;
  payload: unknown;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  secret: string;
}

/** Longest response text kept as the last error. */
const KEPT_ERROR_LENGTH = 300;

/**
 * Runs one `campaign-webhook` job: POSTs the delivery's payload, signed per Standard Webhooks
 * (`webhook-id` = `msg_<delivery id>`, the same on every attempt so the receiver can dedupe;
 * `webhook-timestamp`; `webhook-signature: v1,<base64 HMAC-SHA256>` over id.timestamp.body with the
 * campaign's secret). A 2xx marks it delivered; anything else is stored (status code or error) and
 * retried by pg-boss with backoff until the last attempt, which dead-letters the row (`status = 'dead'`).
 * A refused address or a 410 dead-letters at once. Redirects are not followed.
 */
@Injectable()
export class DeliverWebhook {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: EngagementLedger,
    private readonly clock: Clock,
    @Inject(CAMPAIGN_WEBHOOKS_CONFIG) private readonly config: CampaignWebhooksConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    jobs: CampaignJobs,
  ) {
    jobs.register<WebhookJob>({
      name: WEBHOOK_QUEUE,
      // The row counts attempts and dead-letters; pg-boss only needs to retry at least as often.
      retryLimit: config.CAMPAIGNS_WEBHOOK_ATTEMPTS,
      retryDelaySeconds: config.CAMPAIGNS_WEBHOOK_RETRY_DELAY_SECONDS,
      handle: (job) => this.execute(job),
    });
  }

  async execute(job: WebhookJob): Promise<void> {
    // UPDATE … RETURNING answers [rows, count] through TypeORM's postgres driver.
    const [[row]] = (await this.dataSource.query(
      `UPDATE campaign_webhook_delivery d SET attempts = d.attempts + 1
       FROM campaign c WHERE d.id = $2 AND d.project_id = $1 AND d.status = 'pending' AND c.id = d.campaign_id
       RETURNING d.campaign_id, d.profile_id, d.url, d.payload, d.status, d.attempts, c.webhook->>'secret' AS secret`,
      [job.projectId, job.deliveryId],
    )) as [DeliveryRow[], number];
    if (!row) return;
    const sentAt = this.clock.now();
    let status: number | null = null;
    let failure: Error | null = null;
    try {
      status = await this.post(row.url, job.deliveryId, row.payload, row.secret, sentAt);
      if (status === 410) failure = new PermanentFailure('the receiver answered 410 Gone');
      else if (status < 200 || status >= 300) failure = new Error(`the receiver answered ${status}`);
    } catch (error) {
      failure = error as Error;
    }
    const now = this.clock.now();
    if (!failure) {
      await this.dataSource.transaction(async (manager) => {
        await manager.query(`UPDATE campaign_webhook_delivery SET status = 'delivered', response_status = $3, last_error = NULL, finished_at = $4 WHERE id = $2 AND project_id = $1`, [
          job.projectId,
          job.deliveryId,
          status,
          now,
        ]);
        await this.ledger.record(manager, job.projectId, row.campaign_id, 'sent', [row.profile_id], now);
        await this.ledger.record(manager, job.projectId, row.campaign_id, 'delivered', [row.profile_id], now);
      });
      return;
    }
    const dead = failure instanceof PermanentFailure || row.attempts >= this.config.CAMPAIGNS_WEBHOOK_ATTEMPTS;
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE campaign_webhook_delivery SET response_status = $3, last_error = $4, status = CASE WHEN $5 THEN 'dead' ELSE status END, finished_at = CASE WHEN $5 THEN $6::timestamptz END
         WHERE id = $2 AND project_id = $1`,
        [job.projectId, job.deliveryId, status, failure.message.slice(0, KEPT_ERROR_LENGTH), dead, now],
      );
      if (dead) await this.ledger.record(manager, job.projectId, row.campaign_id, 'failed', [row.profile_id], now);
    });
    this.logger.warn({ deliveryId: job.deliveryId, attempt: row.attempts, status, err: failure.message, dead }, dead ? 'campaign webhook dead-lettered' : 'campaign webhook failed; retried');
    if (!dead) throw failure;
  }

  /** One signed POST; resolves to the response status. */
  private post(url: string, deliveryId: string, payload: unknown, secret: string, at: Date): Promise<number> {
    const target = new URL(url);
    const policy = { allowPrivate: this.config.CAMPAIGNS_WEBHOOK_ALLOW_PRIVATE_URLS };
    const refuse = (address: string, kind: string) => new PermanentFailure(`${target.hostname} is ${kind} address (${address}); webhooks reach public addresses only`);
    const literal = refusedLiteralHost(target, policy);
    if (literal) return Promise.reject(refuse(literal.address, literal.kind));
    const body = JSON.stringify(payload);
    const id = `msg_${deliveryId}`;
    const signature = new Webhook(secret).sign(id, at, body);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        target,
        {
          method: 'POST',
          lookup: outboundLookup(policy, refuse),
          timeout: this.config.CAMPAIGNS_WEBHOOK_TIMEOUT_MS,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'boomerang-campaigns',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signature,
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.config.CAMPAIGNS_WEBHOOK_TIMEOUT_MS} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }
}
