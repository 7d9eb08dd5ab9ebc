import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { EmailEngagement, type EMAIL_EVENT_NAMES } from '@boomerang/contracts';
import { OutboxWriter } from '@boomerang/platform/messaging';
import { Clock } from '@boomerang/platform/subgraph';
import { normalizeAddress } from '../sending/send-eligibility.js';
import { Suppressions } from '../suppressions/suppressions.js';
import type { FeedbackReport } from './feedback-report.js';

type EmailEventName = (typeof EMAIL_EVENT_NAMES)[number];

/** The send columns an engagement event carries. */
interface SendFacts {
  id: string;
  project_id: string;
  profile_id: string;
  template_id: string;
  template_version: number;
  campaign_id: string | null;
  journey_id: string | null;
  to_address: string | null;
}

const FACTS = 'id, project_id, profile_id, template_id, template_version, campaign_id, journey_id, to_address';
/** Engagement is only what a recipient could have done with a message that went out (or may have). */
const DELIVERED = `status IN ('sent', 'uncertain')`;
/** The queue row of a send of email_send whose SMTP attempt has started and whose result is not recorded yet. */
const IN_FLIGHT = `FROM email_send_queue q WHERE q.send_id = email_send.id AND q.smtp_started_at IS NOT NULL`;
/**
 * Opens and clicks also count on a message handed to SMTP whose result is not recorded yet: a mail
 * client or link scanner may fetch them the moment the server accepts it, before the dispatcher commits.
 */
const OPENABLE = `(${DELIVERED} OR EXISTS (SELECT ${IN_FLIGHT}))`;
/** The sent message's links: until its result is recorded, they are on its queue row (the in-flight mark). */
const LINKS = `coalesce((SELECT q.links ${IN_FLIGHT}), links)`;

export interface BounceReport {
  /** The address the DSN reports on (Final-Recipient). */
  recipient: string;
  type: 'hard' | 'soft';
  /** RFC 3463 status, e.g. 5.1.1. */
  status: string;
  diagnostic: string | null;
}

/**
 * What recipients did with sent messages: opens, clicks, unsubscribes, bounces. Each updates the
 * send and publishes its EmailEngagement in one transaction (outbox); an unsubscribe or a hard
 * bounce also suppresses the address at once.
 */
@Injectable()
export class EmailEngagements {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly suppressions: Suppressions,
    private readonly clock: Clock,
  ) {}

  /** Counts an open (every fetch of the pixel; the first sets first_opened_at). False: no such sent message. */
  async open(sendId: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE email_send SET open_count = open_count + 1, first_opened_at = coalesce(first_opened_at, $2) WHERE id = $1 AND ${OPENABLE} RETURNING ${FACTS}, open_count`,
        [sendId, this.clock.now()],
      )) as [(SendFacts & { open_count: number })[], number];
      const send = rows[0];
      if (!send) return false;
      await this.publish(manager, send, 'Email Opened', `${send.open_count}`, {});
      return true;
    });
  }

  /** Counts a click on link `n` and returns its URL, or null when the message has no such link. */
  async click(sendId: string, n: number): Promise<string | null> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE email_send SET click_count = click_count + 1, first_clicked_at = coalesce(first_clicked_at, $3)
         WHERE id = $1 AND ${OPENABLE} AND ${LINKS} ->> $2::int IS NOT NULL
         RETURNING ${FACTS}, click_count, ${LINKS} ->> $2::int AS url`,
        [sendId, n, this.clock.now()],
      )) as [(SendFacts & { click_count: number; url: string })[], number];
      const send = rows[0];
      if (!send) return null;
      await this.publish(manager, send, 'Email Clicked', `${send.click_count}`, { url: send.url, linkIndex: n });
      return send.url;
    });
  }

  /**
   * The recipient asked to stop (one-click POST, the page, or mail to the List-Unsubscribe
   * address): the address is suppressed and the profile marked unsubscribed here at once, and
   * `Email Unsubscribed` tells `profiles`. Repeats change nothing. False: no such sent message.
   */
  async unsubscribe(sendId: string, source: 'one-click' | 'page' | 'mailto'): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [found] = (await manager.query(`SELECT ${FACTS}, unsubscribed_at FROM email_send WHERE id = $1 AND ${DELIVERED} FOR UPDATE`, [sendId])) as (SendFacts & {
        unsubscribed_at: Date | null;
      })[];
      if (!found) return false;
      if (found.unsubscribed_at) return true;
      await manager.query(`UPDATE email_send SET unsubscribed_at = $2 WHERE id = $1`, [sendId, this.clock.now()]);
      if (found.to_address) await this.suppressions.add(manager, found.project_id, found.to_address, 'unsubscribed', `send ${sendId} (${source})`);
      await manager.query(`UPDATE email_profile SET email_subscribed = false WHERE project_id = $1 AND profile_id = $2`, [found.project_id, found.profile_id]);
      await this.publish(manager, found, 'Email Unsubscribed', null, { source, address: found.to_address });
      return true;
    });
  }

  /**
   * The recipient reported the message as spam (an ARF report of a feedback loop): recorded once
   * (`complained_at`); the address is suppressed, the profile marked unsubscribed here, and
   * `Email Complained` carries an `Email Unsubscribed` (source `complaint`, unless this message was
   * already unsubscribed through) so `profiles` takes the consent away, as mailbox providers expect
   * of a sender. False: no such sent message.
   */
  async complain(sendId: string, report: FeedbackReport): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [found] = (await manager.query(`SELECT ${FACTS}, unsubscribed_at, complained_at FROM email_send WHERE id = $1 AND ${DELIVERED} FOR UPDATE`, [sendId])) as (SendFacts & {
        unsubscribed_at: Date | null;
        complained_at: Date | null;
      })[];
      if (!found) return false;
      if (found.complained_at) return true;
      const now = this.clock.now();
      await manager.query(`UPDATE email_send SET complained_at = $2, unsubscribed_at = coalesce(unsubscribed_at, $2) WHERE id = $1`, [sendId, now]);
      if (found.to_address) await this.suppressions.add(manager, found.project_id, found.to_address, 'complaint', `send ${sendId} (${report.feedbackType}${report.userAgent ? `, ${report.userAgent}` : ''})`);
      await manager.query(`UPDATE email_profile SET email_subscribed = false WHERE project_id = $1 AND profile_id = $2`, [found.project_id, found.profile_id]);
      const also = found.unsubscribed_at ? [] : [{ event: 'Email Unsubscribed' as const, properties: { source: 'complaint', address: found.to_address } }];
      await this.publish(manager, found, 'Email Complained', null, { feedbackType: report.feedbackType, userAgent: report.userAgent, address: found.to_address }, also);
      return true;
    });
  }

  /**
   * A DSN for a send: recorded once (the first report wins); a hard bounce suppresses the
   * address. Ignored unless the DSN's recipient is the address the send went to, so a forged
   * report naming a send id cannot suppress another address. Returns whether it was recorded.
   */
  async bounce(sendId: string, report: BounceReport): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE email_send SET bounce_type = $3, bounced_at = $4 WHERE id = $1 AND ${DELIVERED} AND bounced_at IS NULL AND to_address = $2 RETURNING ${FACTS}`,
        [sendId, normalizeAddress(report.recipient), report.type, this.clock.now()],
      )) as [SendFacts[], number];
      const send = rows[0];
      if (!send) return false;
      if (report.type === 'hard') await this.suppressions.add(manager, send.project_id, send.to_address!, 'hard_bounce', `${report.status} ${report.diagnostic ?? ''}`.trim());
      await this.publish(manager, send, 'Email Bounced', null, { bounceType: report.type, status: report.status, diagnostic: report.diagnostic });
      return true;
    });
  }

  /** Publishes `event` about `send` with `properties`, and `also` further facts about it at the same moment (each its own event). */
  private async publish(
    manager: EntityManager,
    send: SendFacts,
    event: EmailEventName,
    n: string | null,
    properties: Record<string, unknown>,
    also: { event: EmailEventName; properties: Record<string, unknown> }[] = [],
  ): Promise<void> {
    const at = this.clock.now().toISOString();
    const messageId = `email:${send.id}:${event}${n ? `:${n}` : ''}`;
    const sendProperties = { sendId: send.id, templateId: send.template_id, templateVersion: send.template_version, campaignId: send.campaign_id, journeyId: send.journey_id };
    await this.outbox.enqueueMany(
      manager,
      EmailEngagement,
      [{
        projectId: send.project_id,
        occurredAt: at,
        messageId,
        profileId: send.profile_id,
        event,
        at,
        properties: { ...sendProperties, ...properties },
        ...(also.length > 0 ? { also: also.map((fact) => ({ messageId: `email:${send.id}:${fact.event}`, event: fact.event, properties: { ...sendProperties, ...fact.properties } })) } : {}),
      }],
      [messageId],
    );
  }
}
