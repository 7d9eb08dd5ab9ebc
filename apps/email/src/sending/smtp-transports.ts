import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { SendingProfile } from './sender-settings.service.js';

/**
 * One pooled nodemailer transport per project (its own SMTP server and pool size), rebuilt when
 * the project's settings change; pools close on shutdown.
 */
@Injectable()
export class SmtpTransports implements OnApplicationShutdown {
  private readonly pools = new Map<string, { revision: string; transport: Transporter }>();

  transportFor(projectId: string, profile: SendingProfile & { smtpUrl: string }): Transporter {
    const held = this.pools.get(projectId);
    if (held?.revision === `${profile.revision}|${profile.smtpUrl}`) return held.transport;
    held?.transport.close();
    const transport = nodemailer.createTransport({
      url: profile.smtpUrl,
      pool: true,
      maxConnections: profile.maxConnections,
      maxMessages: 1_000,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    this.pools.set(projectId, { revision: `${profile.revision}|${profile.smtpUrl}`, transport });
    return transport;
  }

  onApplicationShutdown(): void {
    for (const { transport } of this.pools.values()) transport.close();
    this.pools.clear();
  }
}
