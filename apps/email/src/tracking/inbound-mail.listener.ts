import type { AddressInfo } from 'node:net';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { simpleParser, type ParsedMail, type SimpleParserOptions } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { Logger } from '@boomerang/platform/observability';
import { isUuid, LOGGER } from '@boomerang/platform/subgraph';
import { EMAIL_CONFIG, type EmailConfig } from '../email-config.js';
import { bounceTypeOf, parseDeliveryStatus } from './delivery-status.js';
import { EmailEngagements } from './email-engagements.js';
import { isComplaint, parseFeedbackReport, unsubscribeTokensIn } from './feedback-report.js';
import { TrackingUrls } from './tracking-urls.js';

const MAX_MESSAGE_BYTES = 1024 * 1024;

/** The local part of the feedback loop address (`fbl@<EMAIL_BOUNCE_DOMAIN>`), to register with mailbox providers' complaint feedback loops. */
export const FEEDBACK_LOOP_LOCAL_PART = 'fbl';

type InboundRecipient = { kind: 'bounce'; sendId: string } | { kind: 'unsubscribe'; sendId: string } | { kind: 'feedback' };

/**
 * The inbound SMTP listener on EMAIL_BOUNCE_PORT (the MX of EMAIL_BOUNCE_DOMAIN): takes mail only
 * for `b+<sendId>@` (the VERP return path: DSNs, RFC 3464, read with mailparser; and complaint
 * reports, which some feedback loops send there), `fbl@` (complaint reports, ARF: RFC 5965) and
 * `u+<token>@` (List-Unsubscribe's mailto); any other recipient is refused with 550.
 */
@Injectable()
export class InboundMailListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server?: SMTPServer;

  constructor(
    @Inject(EMAIL_CONFIG) private readonly config: EmailConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly urls: TrackingUrls,
    private readonly engagements: EmailEngagements,
  ) {}

  /** The bound port (EMAIL_BOUNCE_PORT=0 takes any). */
  get port(): number | null {
    return this.server ? (this.server.server.address() as AddressInfo).port : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.EMAIL_BOUNCE_PORT === undefined || process.argv.includes('--print-schema')) return;
    const server = new SMTPServer({
      name: this.config.EMAIL_BOUNCE_DOMAIN,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      size: MAX_MESSAGE_BYTES,
      closeTimeout: 1_000,
      onRcptTo: (address, _session, callback) => callback(this.recipientOf(address) ? undefined : refusal(address.address)),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(Object.assign(new Error('5.3.4 message too big'), { responseCode: 552 }));
          this.take(Buffer.concat(chunks), session.envelope.rcptTo).then(
            () => callback(),
            (error: unknown) => {
              this.logger.error({ err: error }, 'inbound mail not processed');
              callback(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
            },
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.EMAIL_BOUNCE_PORT, '0.0.0.0', () => resolve());
    });
    server.on('error', (error) => this.logger.warn({ err: error }, 'inbound SMTP error'));
    this.server = server;
    this.logger.info({ port: this.port }, `inbound mail (bounces, unsubscribes) for ${this.config.EMAIL_BOUNCE_DOMAIN} on port ${this.port}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private recipientOf(address: SMTPServerAddress): InboundRecipient | null {
    if (address.address.toLowerCase() === `${FEEDBACK_LOOP_LOCAL_PART}@${this.config.EMAIL_BOUNCE_DOMAIN.toLowerCase()}`) return { kind: 'feedback' };
    const match = /^([bu])\+([^@]+)@(.+)$/i.exec(address.address);
    if (!match || match[3]!.toLowerCase() !== this.config.EMAIL_BOUNCE_DOMAIN.toLowerCase()) return null;
    if (match[1]!.toLowerCase() === 'b') return isUuid(match[2]!.toLowerCase()) ? { kind: 'bounce', sendId: match[2]!.toLowerCase() } : null;
    const claim = this.urls.tokens.verify(match[2]!, 'unsubscribe');
    return claim ? { kind: 'unsubscribe', sendId: claim.sendId } : null;
  }

  private async take(raw: Buffer, recipients: SMTPServerAddress[]): Promise<void> {
    let parsed: ParsedMail | undefined;
    // keepDeliveryStatus: the message/delivery-status part stays an attachment (typings lack the option).
    const parse = async () => (parsed ??= await simpleParser(raw, { keepDeliveryStatus: true } as SimpleParserOptions));
    let complaintTaken = false;
    for (const address of recipients) {
      const recipient = this.recipientOf(address);
      if (recipient?.kind === 'unsubscribe') await this.engagements.unsubscribe(recipient.sendId, 'mailto');
      if (recipient?.kind !== 'bounce' && recipient?.kind !== 'feedback') continue;
      const mail = await parse();
      const feedback = mail.attachments.find((part) => /^message\/feedback-report$/i.test(part.contentType));
      if (feedback) {
        if (!complaintTaken) await this.takeComplaint(raw, feedback.content.toString('utf8'));
        complaintTaken = true;
        continue;
      }
      const report = recipient.kind === 'bounce' ? mail.attachments.find((part) => /^message\/(global-)?delivery-status$/i.test(part.contentType)) : undefined;
      if (recipient.kind === 'feedback' || !report) {
        this.logger.info({ recipient: address.address }, 'inbound mail without a delivery-status or feedback-report part ignored');
        continue;
      }
      for (const status of parseDeliveryStatus(report.content.toString('utf8'))) {
        const type = bounceTypeOf(status);
        if (type) await this.engagements.bounce(recipient.sendId, { recipient: status.recipient, type, status: status.status, diagnostic: status.diagnostic });
      }
    }
  }

  /**
   * A complaint report (ARF): the send it is about is the one named by the signed unsubscribe token
   * in its copy of the original message's headers, which only that message's recipient had; a
   * report naming none, or more than one send, is ignored.
   */
  private async takeComplaint(raw: Buffer, feedbackPart: string): Promise<void> {
    const report = parseFeedbackReport(feedbackPart);
    if (!report || !isComplaint(report)) {
      this.logger.info({ feedbackType: report?.feedbackType }, 'feedback report that is no complaint ignored');
      return;
    }
    const sendIds = new Set(unsubscribeTokensIn(raw.toString('latin1')).flatMap((token) => this.urls.tokens.verify(token, 'unsubscribe')?.sendId ?? []));
    if (sendIds.size !== 1) {
      this.logger.info({ sends: sendIds.size }, 'complaint report naming no single send of ours ignored');
      return;
    }
    const [sendId] = sendIds;
    if (!(await this.engagements.complain(sendId!, report))) this.logger.info({ sendId }, 'complaint about a message not sent ignored');
  }
}

function refusal(address: string): Error {
  return Object.assign(new Error(`5.1.1 <${address}>: no such mailbox here`), { responseCode: 550 });
}
